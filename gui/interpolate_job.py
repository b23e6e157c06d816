"""An interpolation running on the engine worker, its items streamed to the GUI thread.

`work(cache)` is given to EngineAdapter.call, so engine.interpolate.runner runs on the one thread
that touches torch, with the model the window has loaded. Each item is streamed to the GUI thread
by gui/streamed_job.py: the worker never waits for the GUI. Items are tagged here, on the worker,
so the GUI thread never imports the runtime's classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject

from engine.events import Cancelled, Failed, Started
from engine.interpolate.plan import InterpolationPlan
from gui.streamed_job import StreamedJob

FRAME, EVENT = "frame", "event"  # engine.interpolate.runner's FrameDone, FrameEvent


@dataclass(frozen=True)
class FrameCounts:
    total: int
    done: int = 0
    running: int | None = None  # the frame being made (from 0); the runner makes no previews, so no steps

    def text(self) -> str:
        if self.running is None:
            return f"{self.done} of {self.total} frames done"
        return f"Frame {self.running + 1} of {self.total} · {self.done} done"

    def update(self, kind: str, item: Any) -> FrameCounts:
        if kind == FRAME:
            return FrameCounts(self.total, self.done + 1)
        event, index = item.event, item.frame.index
        if isinstance(event, Started):
            return FrameCounts(self.total, self.done, index)
        if isinstance(event, (Cancelled, Failed)):
            return FrameCounts(self.total, self.done)
        return self


class InterpolateJob(StreamedJob):
    """One interpolation's run: `work` on the engine worker, `items` (kind FRAME or EVENT) on the GUI thread."""

    def __init__(self, plan: InterpolationPlan, parent: QObject | None = None):
        super().__init__(parent)
        self.plan = plan

    def work(self, cache: Any) -> None:
        """On the engine worker: every frame, stopping at cancel or at a run that does not finish."""
        from engine.interpolate.runner import FrameDone, run_interpolation

        for item in run_interpolation(self.plan, self.cancel, cache=cache):
            self.put(FRAME if isinstance(item, FrameDone) else EVENT, item)
