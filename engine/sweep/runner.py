"""Running a sweep: each group of cells is one engine.run, and each cell comes out as the
trajectory a run of its own recipe would have made (a batched group is split per sample), so
its PNG, its history row and its pixels are those of `generate` with the same settings.

The stream mixes the engine's own events, tagged with their group (progress, previews,
Failed, Cancelled), and CellDone as each cell is ready; the sweep stops at the first run that
does not finish. The window drives it on its engine thread as the CLI does here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from engine.events import Cancelled, Event, Failed
from engine.model_cache import ModelCache
from engine.run import run
from engine.sweep.plan import DEFAULT_GROUP_BATCH, Cell, Group, SweepPlan
from engine.trajectory import Trajectory


@dataclass(frozen=True)
class GroupEvent:
    """An engine event of the run making `group`; number counts groups from 0."""

    group: Group
    number: int
    event: Event


@dataclass(frozen=True)
class CellDone:
    cell: Cell
    trajectory: Trajectory  # finished, as a run of the cell's recipe alone


SweepEvent = GroupEvent | CellDone


def run_sweep(plan: SweepPlan, cancel: threading.Event | None = None, *, extra_model_paths: Iterable[Path] = (),
              max_batch: int = DEFAULT_GROUP_BATCH, previews: bool = True,
              cache: ModelCache | None = None) -> Iterator[SweepEvent]:
    """cache: the window's engine worker passes its own, so the model it has loaded is used."""
    paths = list(extra_model_paths)
    for number, group in enumerate(plan.groups(max_batch)):
        trajectory = Trajectory()
        for event in run(group.recipe, cancel, cache=cache, extra_model_paths=paths, previews=previews):
            trajectory.record(event)
            yield GroupEvent(group, number, event)
            if isinstance(event, (Failed, Cancelled)):
                return
        if cancel is not None and cancel.is_set():
            return
        for index, cell in enumerate(group.cells):
            yield CellDone(cell, trajectory if len(group.cells) == 1 else split_sample(trajectory, index))


def split_sample(trajectory: Trajectory, index: int) -> Trajectory:
    """Sample `index` of a finished batch as the run of its own seed with batch 1 would be."""
    recipe = trajectory.recipe
    assert recipe is not None and trajectory.final is not None
    own = recipe.replace(seed=recipe.seed + index, batch=1)

    def one(array):
        return None if array is None else array[index:index + 1]

    steps = [replace(step, x_t=one(step.x_t), x0=one(step.x0), noise=one(step.noise), latents=one(step.latents))
             for step in trajectory.steps]
    part = Trajectory(recipe=own, total_steps=trajectory.total_steps, model_name=trajectory.model_name,
                      device=trajectory.device, steps=steps, final=one(trajectory.final), outcome=trajectory.outcome,
                      duration_s=trajectory.duration_s / trajectory.batch, preview_budget=None)
    part.keep_every, part.notices = trajectory.keep_every, list(trajectory.notices)
    return part
