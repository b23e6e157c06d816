"""Recording a run that ended: the one path the CLI (`generate`) and the window share.

A finished or cancelled run goes in with its model hash, the files exported from it, and where
its steps are: the trajectory file exported with it when there is one, else a copy the history
keeps (kept_trajectories.py), so every run in the gallery reopens for scrubbing. Failed runs are
not recorded. Files exported later from a recorded run are added with record_exports; a sweep's
cells go in one group (record_sweep, then record_run with each cell's place), and so do the runs of
the families side by side (record_families) and an interpolation's frames (record_interpolation).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from engine.export.plan import ExportedFile
from engine.families.plan import FamiliesPlan
from engine.history.kept_trajectories import keep_trajectory
from engine.history.store import History
from engine.history.sweep_groups import FAMILIES, INTERPOLATION
from engine.interpolate.plan import InterpolationPlan
from engine.sweep.plan import SweepPlan
from engine.trajectory import Trajectory

RECORDED_OUTCOMES = ("finished", "cancelled")
TRAJECTORY_KIND = "trajectory"  # ExportedFile.kind of engine/export/formats/trajectory.py


def is_recorded(trajectory: Trajectory) -> bool:
    """Whether a run that ended belongs in the history (finished or cancelled, with a recipe)."""
    return trajectory.recipe is not None and trajectory.outcome in RECORDED_OUTCOMES


def record_run(history: History, trajectory: Trajectory, model_hash: str | None = None,
               exported: Iterable[ExportedFile] = (), branched_from: Path | None = None,
               sweep_cell: tuple[int, int] | None = None) -> int:
    """Add the run and its exported files; returns its id. A branch is linked to its parent run
    (the one recorded with `branched_from`, the trajectory file it was made from, or else the newest
    with the parent's recipe); a sweep's cell to its sweep (`sweep_cell`: record_sweep's id, the
    cell's index). ValueError for a run that is not recorded (is_recorded);
    sqlite3.Error, OSError or ExportError when the history cannot be written."""
    if not is_recorded(trajectory):
        raise ValueError(f"only finished or cancelled runs go in the history, not {trajectory.outcome}")
    exported = list(exported)
    steps_at = _trajectory_file(exported) or keep_trajectory(history.path, trajectory)
    assert trajectory.recipe is not None  # is_recorded
    parent_id = history.find_parent(trajectory.recipe, branched_from)
    run_id = history.add_run(trajectory, model_hash, steps_at, parent_id=parent_id, sweep_cell=sweep_cell)
    for file in exported:
        history.record_export(run_id, file.path, file.kind)
    return run_id


def record_sweep(history: History, plan: SweepPlan) -> int:
    """The group a sweep's cells are recorded in (record_run's sweep_cell); returns its id."""
    axes = json.dumps({axis.name: {"field": axis.key, "values": axis.texts()} for axis in plan.axes})  # as to_dict
    return history.add_sweep(plan.describe(), axes, len(plan.cells))


def record_families(history: History, plan: FamiliesPlan) -> int:
    """The group of one families-side-by-side run: a cell per family's run, named by its model."""
    return _record_group(history, FAMILIES, plan.describe(), [run.info.name for run in plan.runs])


def record_interpolation(history: History, plan: InterpolationPlan) -> int:
    """The group of an interpolation: a cell per frame (its index in the plan), named by its label."""
    return _record_group(history, INTERPOLATION, plan.describe(), [frame.label for frame in plan.frames])


def _record_group(history: History, kind: str, description: str, labels: list[str]) -> int:
    return history.add_sweep(description, json.dumps({"cells": labels}), len(labels), kind=kind)


def record_exports(history: History, run_id: int, exported: Iterable[ExportedFile]) -> None:
    """Note files exported later from a recorded run; an exported trajectory file becomes where
    the run's steps are read from."""
    exported = list(exported)
    for file in exported:
        history.record_export(run_id, file.path, file.kind)
    trajectory_file = _trajectory_file(exported)
    if trajectory_file is not None:
        history.set_trajectory_path(run_id, trajectory_file)


def _trajectory_file(exported: list[ExportedFile]) -> Path | None:
    return next((file.path for file in exported if file.kind == TRAJECTORY_KIND), None)
