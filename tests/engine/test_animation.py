"""Animations: frame counts, durations, sizes and the recipe, read back with Pillow and PyAV."""

import json

import av
import numpy as np
import pytest
from PIL import Image

from engine import Recipe
from engine.errors import ExportError
from engine.events import Finished, Started, Step
from engine.export.animation import AnimationOptions, animation_frames, save_animation
from engine.export.restore import read_recipe
from engine.trajectory import Trajectory
from tests.engine.helpers import events_of

STEPS = 4


def synthetic(height: int, width: int, steps: int = 3, channels: int = 3, batch: int = 1) -> Trajectory:
    """A run whose every step differs, at any size (odd ones included), without a model. (The
    tiny test models saturate after a step or two, and identical frames merge.)"""
    rng = np.random.default_rng(0)
    recipe = Recipe(model="synthetic", family="diffusion", steps=steps, batch=batch, seed=3)
    shape = (batch, height, width, channels)
    recorded = Trajectory()
    recorded.record(Started(recipe, steps, (height, width, channels), "cpu", "float32", "synthetic"))
    for index in range(steps):
        frames = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(3)]
        recorded.record(Step(index, steps, 999.0 - index, 1.0 / (index + 1), *frames, elapsed_s=0.01))
    recorded.record(Finished(recipe, rng.integers(0, 256, shape, dtype=np.uint8), 0.1))
    return recorded


@pytest.fixture(scope="module")
def trajectory() -> Trajectory:
    return synthetic(8, 8, steps=STEPS, channels=1, batch=2)


def test_a_real_run_animates_with_its_recipe(tiny_models, tmp_path):
    recorded = Trajectory()
    for event in events_of(Recipe(model=str(tiny_models["diffusion"]), steps=3, batch=2, device="cpu")):
        recorded.record(event)
    path = save_animation(recorded, tmp_path / "real.gif")
    with Image.open(path) as image:
        assert 1 <= image.n_frames <= 3 + 1
        image.seek(0)
        first = np.asarray(image.convert("L"))
    assert np.array_equal(first[::14, ::14][:8, :8], recorded.steps[0].x_t[0][..., 0])
    assert read_recipe(path).recipe() == recorded.recipe


def test_frames_are_steps_then_the_held_final(trajectory):
    frames = animation_frames(trajectory, AnimationOptions(frame_ms=80, hold_ms=1000))
    assert len(frames) == STEPS + 1
    assert [d for _, d in frames] == [80] * STEPS + [1080]
    # the batch grid (2 samples of 8 px, 2 px apart) enlarged to a readable size
    assert frames[0][0].shape == (8 * 14, 18 * 14, 1)
    alone = animation_frames(trajectory, AnimationOptions(view="both", sample=1, scale=2))
    assert alone[-1][0].shape == (16, (8 + 4 + 8) * 2, 1)
    assert np.array_equal(alone[-1][0][::2, :16:2], trajectory.final[1])


def test_identical_frames_merge_into_one_longer_frame():
    run = synthetic(4, 4)
    run.final = run.steps[-1].x0  # the last prediction is the final image
    frames = animation_frames(run, AnimationOptions(view="x0", frame_ms=100, hold_ms=500, scale=1))
    assert len(frames) == 3 and frames[-1][1] == 100 + 100 + 500


@pytest.mark.parametrize("format", ["gif", "apng", "webp"])
def test_pillow_formats_read_back(tmp_path, trajectory, format):
    options = AnimationOptions(view="x0", frame_ms=100, hold_ms=700)
    path = save_animation(trajectory, tmp_path / f"run.{format}", options, format=format)
    with Image.open(path) as image:
        assert image.n_frames == STEPS + 1
        assert image.size == (18 * 14, 8 * 14)
        image.seek(image.n_frames - 1)
        image.load()  # WebP reads a frame's duration when it decodes it
        assert image.info["duration"] == 800
    restored = read_recipe(path)
    assert restored.source == "noisescope" and restored.recipe() == trajectory.recipe
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_gif_comment_and_apng_text_chunks(tmp_path, trajectory):
    gif = save_animation(trajectory, tmp_path / "a.gif")
    apng = save_animation(trajectory, tmp_path / "a.apng", model_hash="abcdef0123")
    with Image.open(gif) as image:
        assert json.loads(image.info["comment"])["seed"] == 3
    with Image.open(apng) as image:
        assert "Model hash: abcdef0123" in image.text["parameters"]
        assert Recipe.from_json(image.text["noisescope_recipe"]) == trajectory.recipe


def test_mp4_has_even_size_every_frame_and_the_recipe(tmp_path):
    run = synthetic(5, 7, steps=3)
    path = save_animation(run, tmp_path / "odd.mp4", AnimationOptions(frame_ms=100, hold_ms=300, scale=3))
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (22, 16)  # 21x15 padded to even
        decoded = list(container.decode(video=0))
        assert Recipe.from_json(container.metadata["comment"]) == run.recipe
    assert len(decoded) == 3 + 1 + 3  # three steps, the final image, three more frames of hold
    assert read_recipe(path).recipe() == run.recipe


def test_rgb_odd_sizes_in_every_pillow_format(tmp_path):
    run = synthetic(5, 7)
    for format in ("gif", "apng", "webp"):
        path = save_animation(run, tmp_path / f"rgb.{format}", AnimationOptions(scale=1))
        with Image.open(path) as image:
            assert image.size == (7, 5) and image.n_frames == 4


def test_bad_options_are_export_errors(trajectory, tmp_path):
    with pytest.raises(ExportError, match="view"):
        AnimationOptions(view="noise")
    with pytest.raises(ExportError, match="frame duration"):
        AnimationOptions(frame_ms=1)
    with pytest.raises(ExportError, match="sample must be between 0 and 1"):
        animation_frames(trajectory, AnimationOptions(sample=2))
    with pytest.raises(ExportError, match="format"):
        save_animation(trajectory, tmp_path / "a.avi")
    assert list(tmp_path.iterdir()) == []
