"""One path records a run that ended, for the CLI and the window alike (engine.history.recording)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Recipe
from engine.events import Cancelled, Failed, Finished, Started, Step
from engine.export.plan import ExportedFile, ExportPlan, export_run
from engine.history import History
from engine.history.kept_trajectories import kept_folder
from engine.history.recording import is_recorded, record_exports, record_run
from engine.trajectory import Trajectory


def run_that(ends: str) -> Trajectory:
    rng = np.random.default_rng(3)
    recipe = Recipe(model="synthetic", family="diffusion", steps=2, batch=1, guidance=3.0)
    recorded = Trajectory()
    recorded.record(Started(recipe, 2, (4, 4, 1), "cpu", "float32", "synthetic"))
    for index in range(2):
        frames = [rng.integers(0, 256, (1, 4, 4, 1), dtype=np.uint8) for _ in range(3)]
        recorded.record(Step(index, 2, 900.0 - index, 1.0, *frames, elapsed_s=0.0))
    if ends == "finished":
        recorded.record(Finished(recipe, rng.integers(0, 256, (1, 4, 4, 1), dtype=np.uint8), 0.1))
    elif ends == "cancelled":
        recorded.record(Cancelled(recipe, 2))
    else:
        recorded.record(Failed(recipe, "internal", "boom"))
    return recorded


@pytest.fixture
def history(tmp_path):
    with History(tmp_path / "history.sqlite3") as opened:
        yield opened


def test_a_run_with_its_exports_points_at_the_exported_trajectory(history, tmp_path):
    run = run_that("finished")
    written = export_run(run, tmp_path / "out", ExportPlan(formats=("png", "trajectory")))
    run_id = record_run(history, run, "abcdef0123", written)
    record = history.get_run(run_id)
    assert record.model_hash == "abcdef0123" and record.outcome == "finished"
    assert record.trajectory_path == str(next(f.path for f in written if f.kind == "trajectory"))
    assert not kept_folder(history.path).exists()  # no second copy of the steps
    assert sorted(kind for kind, _ in history.get_run(run_id).exports) == ["png", "trajectory"]


def test_a_run_without_a_trajectory_export_keeps_its_steps(history):
    run_id = record_run(history, run_that("cancelled"))
    kept = Path(history.get_run(run_id).trajectory_path)
    assert kept.parent == kept_folder(history.path) and kept.is_file()


def test_failed_runs_are_not_recorded(history):
    failed = run_that("failed")
    assert not is_recorded(failed) and is_recorded(run_that("finished"))
    with pytest.raises(ValueError, match="only finished or cancelled"):
        record_run(history, failed)


def test_later_exports_are_added_and_a_trajectory_becomes_the_steps(history, tmp_path):
    run_id = record_run(history, run_that("finished"))
    later = [ExportedFile("gif", tmp_path / "a.gif"), ExportedFile("trajectory", tmp_path / "a.trajectory.safetensors")]
    record_exports(history, run_id, later)
    assert history.get_run(run_id).trajectory_path == str(tmp_path / "a.trajectory.safetensors")
    assert sorted(kind for kind, _ in history.get_run(run_id).exports) == ["gif", "trajectory"]
