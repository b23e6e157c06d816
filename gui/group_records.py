"""Runs the window records as one group in the history: the families side by side, an
interpolation's frames (a sweep's cells go the same way, gui/sweep_disk_jobs.py).

Each run goes in on the DiskWorker as the CLI records it (engine/history/recording.py), its model
hashed there; the group's row is made with the first run recorded, so a walk stopped before any
frame finished leaves no empty group. A run that cannot be recorded says so in the error banner and
the rest go on. The GUI thread only submits and awaits.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from engine.kinds import ErrorKind, Outcome
from gui.tasks import TaskKeeper

log = logging.getLogger(__name__)


def record_in_group(history, make_group: Callable[[Any], int], group: dict[str, int | None], trajectory, info,
                    index: int) -> int:
    """On the disk thread: the group made with its first run (`make_group(history)` returns its id),
    then the run as the group's cell `index`."""
    from engine.history.recording import record_run
    from engine.models.hashing import model_hash

    group_id = group["id"]
    if group_id is None:
        group_id = group["id"] = make_group(history)
    return record_run(history, trajectory, model_hash(info) if info is not None else None,
                      sweep_cell=(group_id, index))


def families_group(plan, history) -> int:
    from engine.history.recording import record_families

    return record_families(history, plan)


def interpolation_group(plan, history) -> int:
    from engine.history.recording import record_interpolation

    return record_interpolation(history, plan)


def show_group_in_gallery(history_wiring, group_id: int | None):
    """The Gallery filtered to one group's runs, in their order, its dock brought up; returns the
    refresh task (None: no gallery or no group)."""
    gallery = history_wiring.gallery if history_wiring is not None else None
    if gallery is None or group_id is None:
        return None
    history_wiring.dock.show()
    history_wiring.dock.raise_()
    return gallery.show_sweep(group_id)


def stopped(trajectory):
    """A run cancelled by its task (the engine no longer says so) as the history records a cancelled
    run: the steps it made; None when it made none."""
    if trajectory is None or trajectory.recipe is None or not trajectory.steps:
        return None
    return dataclasses.replace(trajectory, steps=list(trajectory.steps), outcome=Outcome.CANCELLED,
                               duration_s=trajectory.steps[-1].elapsed_s)


class GroupRecorder:
    """One group at a time: `start` a new one, `record` its runs as they end, await `settled`."""

    def __init__(self, history_wiring, disk, tasks: TaskKeeper, status, what: str):
        self.history_wiring, self.disk, self.tasks, self.status, self.what = history_wiring, disk, tasks, status, what
        self.make_group: Callable[[Any], int] | None = None
        self.group: dict[str, int | None] = {"id": None}
        self.run_ids: dict[int, int] = {}  # cell index -> its history row

    def start(self, make_group: Callable[[Any], int]) -> None:
        self.make_group, self.group, self.run_ids = make_group, {"id": None}, {}

    def record(self, index: int, trajectory, info) -> None:
        history = self.history_wiring.history if self.history_wiring is not None else None
        if (history is None or self.disk.closed or self.make_group is None or trajectory is None
                or trajectory.recipe is None or trajectory.outcome not in (Outcome.FINISHED, Outcome.CANCELLED)):
            return  # a failed run is not recorded, as a failed Generate is not
        future = self.disk.submit(record_in_group, history, self.make_group, self.group, trajectory, info, index)
        self.tasks.spawn(self._recorded(future, index, self.run_ids), name=f"{self.what}-record")

    async def _recorded(self, future, index: int, run_ids: dict[int, int]) -> None:
        try:
            run_ids[index] = await future
        except Exception as exc:  # sqlite3.Error, OSError: the runs on screen stay
            log.exception("recording %s failed", self.what)
            self.status.set_error(ErrorKind.HISTORY, f"a run of {self.what} was not saved in the history: {exc}")

    async def settled(self) -> int | None:
        """Once the runs submitted so far are written (the disk thread does jobs in order): the
        group's id (None: nothing recorded), the gallery read again."""
        if self.disk.closed:
            return None
        await self.disk.submit(lambda: None)
        gallery = self.history_wiring.gallery if self.history_wiring is not None else None
        if gallery is not None:
            refreshed = gallery.refresh()
            if refreshed is not None:
                await refreshed
        return self.group["id"]
