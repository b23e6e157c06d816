"""The sweep window's jobs on the DiskWorker thread: a cell recorded in the sweep's history group,
the grid drawn, the grid PNG written. Plain functions: they never touch a widget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.sweep.plan import SweepPlan
from gui.group_records import record_in_group


def record_cell(history, plan: SweepPlan, group: dict[str, int | None], trajectory, info, index: int) -> int:
    """On the disk thread: the sweep's group made with its first cell, then the cell as the CLI records it."""
    from engine.history.recording import record_sweep

    return record_in_group(history, lambda h: record_sweep(h, plan), group, trajectory, info, index)


def draw_grid(plan: SweepPlan, images: dict[int, Any], recipes: dict[int, Any]):
    from engine.sweep.grid_image import sweep_grid

    return sweep_grid(plan, images, recipes)


def export_grid(history, group_id: int | None, plan: SweepPlan, images: dict[int, Any], recipes: dict[int, Any],
                path: Path, info) -> Path:
    """The grid PNG the CLI writes (the sweep and each cell's recipe inside), noted on the sweep's group."""
    from engine.models.hashing import model_hash
    from engine.sweep.grid_image import save_sweep_grid

    written = save_sweep_grid(plan, images, path, recipes, model_hash(info) if info is not None else None)
    if history is not None and group_id is not None:
        history.set_sweep_grid(group_id, written)
    return written
