"""A sweep running on the engine worker, its items streamed to the GUI thread.

`work(cache)` is given to EngineAdapter.call, so the sweep runs on the one thread that touches
torch, with the model the window has loaded (a Ray sweep drives its workers from there too; the
torch work is theirs). Each item (engine.sweep.runner's GroupEvent and CellDone, the cluster's
ClusterProgress) is streamed to the GUI thread by gui/streamed_job.py: the worker never waits for
the GUI.

Counts: cells done, running (the group on the engine, or what Ray says is sent to a worker) and
waiting; for Ray also the workers alive and which of them are busy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject

from engine.events import Cancelled, Failed, Started, Step
from engine.sweep.plan import SweepPlan
from gui.streamed_job import StreamedJob
from gui.sweep_cluster import ClusterChoice

CELL, EVENT, CLUSTER = "cell", "event", "cluster"  # engine.sweep.runner's CellDone, GroupEvent; ClusterProgress


@dataclass(frozen=True)
class SweepCounts:
    total: int
    done: int = 0
    running: int = 0
    waiting: int = 0
    workers: int | None = None  # Ray workers alive; None: on this computer
    busy: tuple[int, ...] = ()  # which Ray workers have a cell (from 0)
    step: tuple[int, int] | None = None  # the running group's step, of its steps (on this computer)

    def text(self) -> str:
        line = f"{self.done} of {self.total} cells done · {self.running} running · {self.waiting} waiting"
        if self.step is not None:
            line += f" · step {self.step[0]}/{self.step[1]}"
        return line

    def workers_text(self) -> str:
        if self.workers is None:
            return ""
        if self.workers == 0 and self.done == 0:
            return "Ray workers: starting (each loads the model on its first cell)…"
        busy = ", ".join(str(slot + 1) for slot in self.busy) or "none"
        return f"{self.workers} Ray worker{'s' if self.workers != 1 else ''} · busy: {busy}"


class SweepJob(StreamedJob):
    """One sweep's run: `work` on the engine worker, `items` (kind CELL, EVENT or CLUSTER) on the GUI thread."""

    def __init__(self, plan: SweepPlan, cluster: ClusterChoice, parent: QObject | None = None):
        super().__init__(parent)
        self.plan, self.cluster = plan, cluster

    def work(self, cache: Any) -> None:
        """On the engine worker: run every cell (or stop at cancel); ClusterError when Ray fails.
        Items are tagged here, where the runtime's classes are imported (never on the GUI thread)."""
        if self.cluster.on_ray:
            from engine.cluster.ray_pool import RayPool
            from engine.cluster.ray_sweep import run_sweep_on_ray

            address, workers = self.cluster.pool_arguments()
            with RayPool(address, workers) as pool:
                self._stream(run_sweep_on_ray(self.plan, pool, self.cancel))
        else:
            from engine.sweep.runner import run_sweep

            self._stream(run_sweep(self.plan, self.cancel, cache=cache))

    def _stream(self, items) -> None:
        from engine.sweep.runner import CellDone, GroupEvent

        for item in items:
            self.put(CELL if isinstance(item, CellDone) else EVENT if isinstance(item, GroupEvent) else CLUSTER, item)


class Progress:
    """Counts kept from the items as they arrive (GUI thread)."""

    def __init__(self, plan: SweepPlan, on_ray: bool):
        self.total = len(plan.cells)
        self.counts = SweepCounts(self.total, waiting=self.total, workers=0 if on_ray else None)

    def update(self, kind: str, item: Any) -> SweepCounts:
        counts = self.counts
        if kind == CLUSTER:
            counts = SweepCounts(self.total, item.done, item.running, item.waiting, item.workers, item.busy)
        elif kind == EVENT and counts.workers is None:  # this computer: one group at a time
            event, size = item.event, len(item.group.cells)
            if isinstance(event, Started):
                counts = SweepCounts(self.total, counts.done, size, self.total - counts.done - size,
                                     step=(0, event.total_steps))
            elif isinstance(event, Step):
                counts = SweepCounts(self.total, counts.done, counts.running, counts.waiting,
                                     step=(event.index + 1, event.total))
            elif isinstance(event, (Cancelled, Failed)):
                counts = SweepCounts(self.total, counts.done, 0, self.total - counts.done)
        elif kind == CELL and counts.workers is None:  # on Ray, ClusterProgress follows each arrival
            done = counts.done + 1
            running = max(0, counts.running - 1)
            counts = SweepCounts(self.total, done, running, max(0, self.total - done - running), counts.workers,
                                 counts.busy, counts.step if running else None)
        self.counts = counts
        return counts
