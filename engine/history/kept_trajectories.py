"""Trajectories the history keeps by itself, so a run reopens for scrubbing without an export.

They live in a folder beside the database and belong to the history: deleting the run deletes
its kept file (files the person exported stay wherever they are). A run whose previews are
larger than KEEP_LIMIT_BYTES (a long run of a big batch) is not kept.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from engine.export.trajectory_file import SUFFIX, save_trajectory
from engine.trajectory import Trajectory

FOLDER_NAME = "trajectories"
KEEP_LIMIT_BYTES = 64 * 2**20


def kept_folder(history_path: Path) -> Path:
    return Path(history_path).parent / FOLDER_NAME


def preview_bytes(trajectory: Trajectory) -> int:
    return sum(view.nbytes for step in trajectory.steps for view in (step.x_t, step.x0, step.noise)
               if view is not None)


def keep_trajectory(history_path: Path, trajectory: Trajectory) -> Path | None:
    """Write the run's trajectory into the history's folder; None when there is nothing or too much."""
    if not trajectory.steps or preview_bytes(trajectory) > KEEP_LIMIT_BYTES:
        return None
    return save_trajectory(trajectory, kept_folder(history_path) / f"{uuid.uuid4().hex}{SUFFIX}")


def is_kept_by_history(history_path: Path, trajectory_path: str | None) -> bool:
    if not trajectory_path:
        return False
    return Path(trajectory_path).resolve().parent == kept_folder(history_path).resolve()
