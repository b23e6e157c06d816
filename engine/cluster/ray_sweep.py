"""A sweep's groups run on a RayPool; its cells come back as they finish, in the local sweep's shape.

Each group (one cell, or consecutive seeds batched as engine.sweep.runner batches them) is one
recipe for ray_dispatch; each result becomes CellDone (a batch split per seed, as the local runner
splits it), so the caller writes and records every cell as it arrives. A cell index seen before
is dropped: no cell is recorded twice. A run that fails stops the sweep as locally
(GroupEvent(Failed)); a cancel ends it with GroupEvent(Cancelled).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from engine.cluster.ray_dispatch import run_on_workers
from engine.cluster.ray_pool import RayPool
from engine.events import Cancelled
from engine.sweep.plan import DEFAULT_GROUP_BATCH, SweepPlan
from engine.sweep.runner import CellDone, GroupEvent, split_sample


@dataclass(frozen=True)
class ClusterProgress:
    """Cells done, running (sent to a worker) and waiting (not sent yet), after each arrival."""

    done: int
    running: int
    waiting: int
    workers: int
    busy: tuple[int, ...] = ()  # which workers (numbered from 0) have a cell running or queued


def run_sweep_on_ray(plan: SweepPlan, pool: RayPool, cancel: threading.Event | None = None, *,
                     max_batch: int = DEFAULT_GROUP_BATCH, previews: bool = True
                     ) -> Iterator[GroupEvent | CellDone | ClusterProgress]:
    groups = plan.groups(max_batch)
    done: set[int] = set()
    # closing(): a sweep that stops early (a failed run, the caller gone) closes the dispatch, which ends the workers
    with contextlib.closing(run_on_workers(pool, [group.recipe for group in groups], cancel,
                                           previews=previews)) as arrivals:
        for arrival in arrivals:
            group = groups[arrival.number]
            if arrival.failed is not None:
                yield GroupEvent(group, arrival.number, arrival.failed)
                return
            for index, cell in enumerate(group.cells):
                if cell.index in done:
                    continue
                done.add(cell.index)
                yield CellDone(cell, arrival.trajectory if len(group.cells) == 1
                               else split_sample(arrival.trajectory, index))
            yield ClusterProgress(len(done), sum(len(groups[n].cells) for n in arrival.running),
                                  sum(len(groups[n].cells) for n in arrival.waiting), arrival.workers, arrival.busy)
    if cancel is not None and cancel.is_set():
        yield GroupEvent(groups[0], 0, Cancelled(plan.base, 0))
