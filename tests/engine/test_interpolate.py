"""Interpolation between seeds: every frame a reproducible recipe, smooth, exported with every
frame's recipe inside, and bad input told in one line."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from engine.errors import InvalidRecipe
from engine.events import Finished
from engine.export.restore import read_recipe
from engine.interpolate.export import InterpolationExport, export_interpolation
from engine.interpolate.plan import make_interpolation, parse_seeds
from engine.interpolate.reading import read_interpolation
from engine.interpolate.runner import FrameDone, run_interpolation
from engine.recipe import Recipe
from engine.run import run
from tests.engine.test_cli import run_cli


def _image(recipe: Recipe) -> np.ndarray:
    finals = [event for event in run(recipe) if isinstance(event, Finished)]
    assert len(finals) == 1
    return finals[0].images[0]


def _frames(plan) -> list[np.ndarray]:
    return [item.image for item in run_interpolation(plan) if isinstance(item, FrameDone)]


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def test_frames_are_keyframes_then_slerp_recipes_looping_back_when_asked():
    base = Recipe(model="digits-diffusion", label="3", seed=0)
    plan = make_interpolation(base, (5, 9, 7), 3)
    assert len(plan.frames) == 2 * 4 + 1
    first, between, key = plan.frames[0].recipe, plan.frames[2].recipe, plan.frames[4].recipe
    assert (first.seed, first.variation_strength) == (5, 0.0)
    assert (between.seed, between.variation_seed, between.variation_strength) == (5, 9, 0.5)
    assert (key.seed, key.variation_strength) == (9, 0.0)
    assert plan.frames[-1].recipe.seed == 7 and plan.frames[-1].label == "seed 7"
    looped = make_interpolation(base, (5, 9), 1, loop=True)
    assert [(f.recipe.seed, f.recipe.variation_seed, f.t) for f in looped.frames] == [
        (5, 0, 0.0), (5, 9, 0.5), (9, 0, 0.0), (9, 5, 0.5)]  # ends before seed 5 again: the video wraps there
    assert "5 → 9 → 5" in looped.describe()


@pytest.mark.parametrize(("seeds", "between", "changes", "message"), [
    ((1,), 4, {}, "at least 2 seeds"),
    ((1, 2), 0, {}, "frames between each pair of seeds must be 1 to"),
    ((1, 2), 4, {"batch": 2}, "leave out --batch"),
    ((1, 2), 4, {"variation_strength": 0.5}, "leave out --variation-seed"),
    ((1, 2), 240, {"seed": 0}, None),
    (tuple(range(10)), 200, {}, "more than 1000"),
])
def test_bad_plans_say_what_is_wrong(seeds, between, changes, message):
    base = Recipe(model="digits-diffusion", **changes)
    if message is None:
        assert len(make_interpolation(base, seeds, between).frames) == 242
        return
    with pytest.raises(InvalidRecipe, match=message):
        make_interpolation(base, seeds, between)


def test_seeds_parse_or_say_why():
    assert parse_seeds("1, 2,3") == (1, 2, 3)
    with pytest.raises(InvalidRecipe, match="whole numbers"):
        parse_seeds("1,two")
    with pytest.raises(InvalidRecipe, match="out of range"):
        parse_seeds("1,-2")


def test_diffusion_frames_are_generate_at_the_ends_and_smooth_between(tiny_models):
    base = Recipe(model=str(tiny_models["unconditional"]), sampler="DDIM", steps=2, device="cpu")  # no CFG: half the work
    plan = make_interpolation(base, (11, 12), 2)
    frames = _frames(plan)
    assert len(frames) == 4
    assert np.array_equal(frames[0], _image(base.replace(seed=11)))  # t=0: generate with seed a, bit for bit
    # t=1 through the variation mechanism is seed b's image bit for bit (DDIM with eta 0 draws no more noise)
    at_one = _image(base.replace(seed=11, variation_seed=12, variation_strength=1.0))
    assert np.array_equal(at_one, _image(base.replace(seed=12))) and np.array_equal(frames[-1], at_one)
    ends = _diff(frames[0], frames[-1])
    steps = [_diff(a, b) for a, b in zip(frames, frames[1:])]
    assert all(0 < step < ends for step in steps), (steps, ends)


@pytest.mark.parametrize("family", ["vae", "gan"])
def test_vae_and_gan_interpolate_the_latent_vector(tiny_models, family):
    base = Recipe(model=str(tiny_models[family]), device="cpu", **({"label": "2"} if family == "gan" else {}))
    plan = make_interpolation(base, (3, 4), 5)
    frames = _frames(plan)
    assert np.array_equal(frames[0], _image(base.replace(seed=3)))
    assert np.array_equal(frames[-1], _image(base.replace(seed=4)))
    assert np.array_equal(_image(base.replace(seed=3, variation_seed=4, variation_strength=1.0)), frames[-1])
    ends = _diff(frames[0], frames[-1])
    assert all(_diff(a, b) < ends for a, b in zip(frames, frames[1:]))
    assert len({frame.tobytes() for frame in frames}) > 2  # the frames between are new images


def test_cancel_keeps_the_frames_made_and_the_file_says_how_many(tiny_models, tmp_path):
    plan = make_interpolation(Recipe(model=str(tiny_models["vae"]), device="cpu"), (1, 2), 3)
    cancel, images, recipes = threading.Event(), {}, {}
    for item in run_interpolation(plan, cancel):
        if isinstance(item, FrameDone):
            images[item.frame.index], recipes[item.frame.index] = item.image, item.recipe
            if len(images) == 2:
                cancel.set()
    assert sorted(images) == [0, 1]
    (path,) = export_interpolation(plan, images, recipes, tmp_path, InterpolationExport(("gif",)))
    interpolation = read_interpolation(path)
    assert interpolation is not None and path.name.endswith("-first2.gif")
    assert (len(interpolation.frames), interpolation.total_frames) == (2, 5)


def test_cli_writes_every_format_with_every_frames_recipe_and_show_reads_them(capsys, tiny_models, tmp_path):
    model = str(tiny_models["gan"])
    code, out, err = run_cli(capsys, "interpolate", "--model", model, "--label", "5", "--device", "cpu",
                             "--seeds", "1,2,3", "--frames-between", "2", "--loop", "--format", "gif", "--format",
                             "webp", "--format", "mp4", "--format", "apng", "--format", "sheet", "--out", str(tmp_path))
    assert code == 0, err
    files = out.split()
    assert len(files) == 5 and "interpolation of seeds 1 → 2 → 3 → 1" in err
    _, generated, _ = run_cli(capsys, "generate", "--model", model, "--label", "5", "--device", "cpu", "--seed", "2",
                              "--variation-seed", "3", "--variation-strength", "0.3333", "--json", "--no-history",
                              "--out", str(tmp_path / "one"))
    for path in files:
        code, shown, err = run_cli(capsys, "show", path, "--json")
        assert code == 0, err
        data = json.loads(shown)
        frames = data["interpolation"]["frames"]
        assert [frame["recipe"]["seed"] for frame in frames] == [1, 1, 1, 2, 2, 2, 3, 3, 3]
        assert frames[4]["recipe"]["variation_strength"] == 0.3333
        # a frame's recipe is `generate`'s: the same fields, as run
        assert frames[4]["recipe"] == json.loads(run_cli(capsys, "show", json.loads(generated)["images"][0],
                                                         "--json")[1])["recipe"]
        assert data["recipe"]["seed"] == 1  # a reader of one recipe gets the first frame's
        assert read_recipe(path).fields["seed"] == 1
    code, shown, _ = run_cli(capsys, "show", files[0])
    assert code == 0 and "frame 5: seed 2, variation seed 3, strength 0.3333" in shown


@pytest.mark.parametrize(("flags", "message"), [
    (["--seeds", "4"], "at least 2 seeds"),
    (["--seeds", "1,2", "--frames-between", "0"], "frames between each pair"),
    (["--seeds", "1,2", "--frames-between", "many"], "--frames-between takes a whole number"),
    (["--seeds", "1,x"], "whole numbers separated by commas"),
    (["--seeds", "1,2", "--seed", "3"], "leave out --seed"),
    (["--seeds", "1,2", "--format", "avi"], "not 'avi'"),
    (["--seeds", "1,2", "--label", "3", "--vae"], "has no class labels"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tiny_models, tmp_path, flags, message):
    model = tiny_models["vae"] if "--vae" in flags else tiny_models["gan"]
    flags = [flag for flag in flags if flag != "--vae"]
    code, out, err = run_cli(capsys, "interpolate", "--model", str(model), *flags, "--out", str(tmp_path / "out"))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert not (tmp_path / "out").exists()


def interrupt_interpolations_after(monkeypatch, frames: int) -> None:
    """Every interpolation run from now on is stopped as by Ctrl+C once `frames` frames are made."""
    import engine.interpolate.runner as runner

    real = runner.run_interpolation

    def interrupted(*args, **kwargs):
        made = 0
        for item in real(*args, **kwargs):
            yield item
            made += isinstance(item, FrameDone)
            if made == frames:
                raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_interpolation", interrupted)


def test_ctrl_c_writes_the_frames_made_and_says_so(capsys, tiny_models, tmp_path, monkeypatch):
    interrupt_interpolations_after(monkeypatch, 2)
    code, out, err = run_cli(capsys, "interpolate", "--model", str(tiny_models["vae"]), "--device", "cpu",
                             "--seeds", "1,2", "--frames-between", "3", "--out", str(tmp_path))
    assert code == 130 and "interrupted after 2 of 5 frames; the files hold those made" in err
    (path,) = out.split()
    interpolation = read_interpolation(path)
    assert interpolation is not None and [frame.t for frame in interpolation.frames] == [0.0, 0.25]


@pytest.mark.slow  # building the tiny Stable Diffusion folder imports transformers (seconds on 2 cores)
def test_a_text_model_interpolates_its_start_noise(tmp_path):
    from tests.engine.tiny_sd import tiny_sd_folder

    base = Recipe(model=str(tiny_sd_folder(tmp_path)), prompt="a red cat", steps=2, sampler="DDIM", device="cpu",
                  width=32, height=32)
    frames = _frames(make_interpolation(base, (5, 6), 1))
    assert np.array_equal(frames[-1], _image(base.replace(seed=5, variation_seed=6, variation_strength=1.0)))
    assert _diff(frames[0], frames[1]) > 0 and _diff(frames[1], frames[2]) > 0
