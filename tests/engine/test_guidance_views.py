"""Guided runs record what guidance does at each step: the conditional and unconditional noise
predictions and guidance * their difference, as previews beside the noise; unguided runs none."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Recipe
from engine.events import Finished, Step
from engine.export.trajectory_file import load_trajectory, save_trajectory
from engine.trajectory import GUIDED_VIEWS, Trajectory
from tests.engine.helpers import events_of
from tests.engine.tiny_sd import tiny_text_to_image_folders

LEVEL = 3.0 / 127.5  # one uint8 level of a noise preview (+-3 shown as 0..255)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return tiny_text_to_image_folders(tmp_path_factory.mktemp("tiny-sd"))


def steps_of(recipe: Recipe) -> list[Step]:
    events = events_of(recipe)
    assert isinstance(events[-1], Finished), events[-1]
    return [e for e in events if isinstance(e, Step)]


def noise_values(frame: np.ndarray) -> np.ndarray:
    return (frame.astype(float) / 127.5 - 1) * 3


def assert_guidance_adds_up(step: Step, guidance: float) -> None:
    """The guided noise is the unconditional one plus the scaled difference, and that difference is
    guidance * (conditional - unconditional): up to uint8 rounding, where nothing was clipped."""
    noise, cond, uncond, scaled = (noise_values(getattr(step, v)) for v in ("noise", *GUIDED_VIEWS))
    inside = (np.abs(noise) < 2.9) & (np.abs(uncond) < 2.9) & (np.abs(scaled) < 2.9) & (np.abs(cond) < 2.9)
    assert inside.mean() > 0.5
    assert np.abs(uncond + scaled - noise)[inside].max() <= 2 * LEVEL
    assert np.abs(guidance * (cond - uncond) - scaled)[inside].max() <= (2 * guidance + 1) * LEVEL
    assert not np.array_equal(step.noise_cond, step.noise_uncond)  # the label/prompt changes the prediction


def test_a_guided_digits_run_records_its_guidance_views(tiny_models):
    steps = steps_of(Recipe(model=str(tiny_models["diffusion"]), device="cpu", steps=3, batch=2, label="3",
                            guidance=4.0, sampler="ddim"))
    for step in steps:
        assert step.guided
        for view in GUIDED_VIEWS:
            frame = getattr(step, view)
            assert frame.shape == step.noise.shape and frame.dtype == np.uint8 and not frame.flags.writeable
        assert_guidance_adds_up(step, 4.0)


@pytest.mark.parametrize("changes", [{}, {"label": "3", "guidance": 1.0}])
def test_an_unguided_digits_run_has_none(tiny_models, changes):
    steps = steps_of(Recipe(model=str(tiny_models["diffusion"]), device="cpu", steps=2, **changes))
    assert all(not s.guided and s.noise_cond is None and s.noise_uncond is None for s in steps)


@pytest.mark.parametrize("kind", ["sd", "sd-v"])  # epsilon and v-prediction: both are turned into noise
def test_a_guided_text_to_image_run_records_its_guidance_views(folders, kind):
    steps = steps_of(Recipe(model=str(folders[kind]), prompt="a red cat", negative_prompt="blurry", width=32,
                            height=32, steps=2, guidance=5.0, seed=4, device="cpu", sampler="euler"))
    for step in steps:
        for view in GUIDED_VIEWS:
            assert getattr(step, view).shape == step.noise.shape == (1, 8, 8, 1)  # latent channels, 2 x 2
        assert_guidance_adds_up(step, 5.0)


def test_text_to_image_at_guidance_one_is_unguided(folders):
    steps = steps_of(Recipe(model=str(folders["sd"]), prompt="a red cat", width=32, height=32, steps=2,
                            guidance=1.0, device="cpu"))
    assert not any(s.guided for s in steps)


def test_trajectory_files_keep_the_guidance_views_and_older_files_still_load(tmp_path, tiny_models):
    recipe = Recipe(model=str(tiny_models["diffusion"]), device="cpu", steps=3, label="5", guidance=3.0)
    recorded = Trajectory()
    for event in events_of(recipe):
        recorded.record(event)
    assert recorded.guided
    loaded = load_trajectory(save_trajectory(recorded, tmp_path / "guided.trajectory.safetensors"))
    assert loaded.guided
    for mine, theirs in zip(loaded.steps, recorded.steps, strict=True):
        for view in GUIDED_VIEWS:
            assert np.array_equal(getattr(mine, view), getattr(theirs, view))
            assert np.array_equal(loaded.frame(mine.index, view), getattr(theirs, view))
    # a file without them (unguided, or written before they were recorded) loads with none
    older = Trajectory(recipe=recorded.recipe, total_steps=recorded.total_steps, steps=[
        Step(s.index, s.total, s.timestep, s.sigma, s.x_t, s.x0, s.noise, s.elapsed_s) for s in recorded.steps])
    reloaded = load_trajectory(save_trajectory(older, tmp_path / "older.trajectory.safetensors"))
    assert not reloaded.guided and reloaded.frame(0, "noise_cond") is None
