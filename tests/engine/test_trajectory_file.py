"""Trajectory files: a whole run saved and reopened, to scrub and export without the model."""

import threading

import numpy as np
import pytest
from safetensors.numpy import save_file

from engine import Recipe
from engine.errors import ExportError
from engine.export.animation import AnimationOptions, animation_frames
from engine.export.trajectory_file import load_trajectory, read_trajectory_metadata, save_trajectory
from engine.trajectory import Trajectory
from tests.engine.helpers import events_of


def record(recipe: Recipe, cancel=None) -> Trajectory:
    recorded = Trajectory()
    for event in events_of(recipe, cancel):
        recorded.record(event)
    return recorded


def assert_same(loaded: Trajectory, original: Trajectory) -> None:
    assert loaded.recipe == original.recipe and loaded.model_name == original.model_name
    assert loaded.outcome == original.outcome and loaded.device == original.device
    assert loaded.total_steps == original.total_steps and loaded.duration_s == original.duration_s
    assert len(loaded) == len(original)
    for mine, theirs in zip(loaded.steps, original.steps, strict=True):
        assert (mine.index, mine.total, mine.timestep, mine.sigma, mine.elapsed_s) == (
            theirs.index, theirs.total, theirs.timestep, theirs.sigma, theirs.elapsed_s)
        for view in ("x_t", "x0", "noise"):
            a, b = getattr(mine, view), getattr(theirs, view)
            assert (a is None and b is None) or (np.array_equal(a, b) and a.dtype == np.uint8)


def test_diffusion_round_trip(tmp_path, tiny_models):
    original = record(Recipe(model=str(tiny_models["diffusion"]), steps=4, batch=2, label="5", device="cpu"))
    path = save_trajectory(original, tmp_path / "run.trajectory.safetensors")
    loaded = load_trajectory(path)
    assert_same(loaded, original)
    assert np.array_equal(loaded.final, original.final)
    assert not loaded.final.flags.writeable and not loaded.steps[0].x_t.flags.writeable
    # exports from the reopened file are the exports of the run
    options = AnimationOptions(view="both")
    for (a, da), (b, db) in zip(animation_frames(loaded, options), animation_frames(original, options), strict=True):
        assert np.array_equal(a, b) and da == db
    assert read_trajectory_metadata(path)["model_name"] == "tiny-diffusion"


def test_vae_round_trip_has_no_noise(tmp_path, tiny_models):
    original = record(Recipe(model=str(tiny_models["vae"]), batch=3, device="cpu"))
    loaded = load_trajectory(save_trajectory(original, tmp_path / "vae.trajectory.safetensors"))
    assert_same(loaded, original)
    assert loaded.steps[0].noise is None and loaded.recipe.family == "vae"


def test_cancelled_run_round_trip_without_final(tmp_path, tiny_models):
    cancel = threading.Event()
    original = Trajectory()
    for event in events_of_cancelled(Recipe(model=str(tiny_models["diffusion"]), steps=6, device="cpu"), cancel):
        original.record(event)
    assert original.outcome == "cancelled" and original.final is None
    loaded = load_trajectory(save_trajectory(original, tmp_path / "c.trajectory.safetensors"))
    assert_same(loaded, original)
    assert loaded.final is None


def events_of_cancelled(recipe, cancel):
    from engine import run
    from engine.events import Step

    for event in run(recipe, cancel):
        if isinstance(event, Step) and event.index == 1:
            cancel.set()
        yield event


def test_other_safetensors_files_are_refused(tmp_path):
    other = tmp_path / "weights.safetensors"
    save_file({"w": np.zeros(3, dtype=np.float32)}, str(other))
    with pytest.raises(ExportError, match="not a Noisescope trajectory"):
        load_trajectory(other)
    garbage = tmp_path / "garbage.trajectory.safetensors"
    garbage.write_bytes(b"\x10\x00\x00\x00not json")
    with pytest.raises(ExportError, match="not a readable safetensors file"):
        load_trajectory(garbage)


HEADER = {"format": "noisescope-trajectory", "format_version": "1"}


def step_tensors(count=2):
    return {"x_t": np.zeros((count, 1, 2, 2, 1), np.uint8), "x0": np.zeros((count, 1, 2, 2, 1), np.uint8),
            "index": np.arange(count, dtype=np.int64), "total": np.full(count, count, np.int64),
            "timestep": np.zeros(count), "sigma": np.zeros(count), "elapsed_s": np.zeros(count)}


def test_a_file_without_a_recipe_is_refused_with_a_message(tmp_path):
    path = tmp_path / "norecipe.trajectory.safetensors"
    save_file(step_tensors(), str(path), metadata=HEADER)
    for read in (load_trajectory, read_trajectory_metadata):
        with pytest.raises(ExportError, match="norecipe.trajectory.safetensors: this trajectory file has no recipe"):
            read(path)


@pytest.mark.parametrize(("change", "says"), [
    (lambda t: t.pop("index"), "it lacks index"),
    (lambda t: t.update(sigma=np.zeros(1)), "sigma have fewer than 2 steps"),
    (lambda t: t.update(x0=np.zeros((), np.uint8)), "x0 have fewer than 2 steps"),
])
def test_a_file_missing_a_part_names_it(tmp_path, change, says):
    tensors = step_tensors()
    change(tensors)
    path = tmp_path / "damaged.trajectory.safetensors"
    save_file(tensors, str(path), metadata={**HEADER, "recipe": Recipe(model="m").to_json()})
    with pytest.raises(ExportError, match=f"the trajectory is damaged: {says}"):
        load_trajectory(path)


def test_an_unreadable_recipe_or_outcome_is_a_message(tmp_path):
    path = tmp_path / "bad.trajectory.safetensors"
    save_file(step_tensors(), str(path), metadata={**HEADER, "recipe": '{"steps": "many"}'})
    with pytest.raises(ExportError, match="the recipe in this trajectory cannot be read"):
        load_trajectory(path)
    save_file(step_tensors(), str(path), metadata={**HEADER, "recipe": Recipe(model="m").to_json(), "outcome": "??"})
    with pytest.raises(ExportError, match="metadata is damaged"):
        load_trajectory(path)


def test_the_runs_notices_are_kept_and_older_files_have_none(tmp_path, tiny_models):
    original = record(Recipe(model=str(tiny_models["diffusion"]), steps=4, label="5", device="cpu"))
    original.notices.append("previews of every 2th step are kept")
    loaded = load_trajectory(save_trajectory(original, tmp_path / "n.trajectory.safetensors"))
    assert loaded.notices == ["previews of every 2th step are kept"]
    older = tmp_path / "older.trajectory.safetensors"  # as the first release wrote them: no notices
    save_file(step_tensors(), str(older), metadata={**HEADER, "recipe": Recipe(model="m").to_json(),
                                                     "model_name": "m", "device": "cpu", "outcome": "finished",
                                                     "duration_s": "1.0", "total_steps": "2"})
    assert load_trajectory(older).notices == [] and len(load_trajectory(older)) == 2
