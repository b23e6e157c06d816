"""Ctrl-C or SIGTERM during training: finish the step, write the checkpoint and the model, then stop.

Without this, an interrupted run loses everything since its last checkpoint (minutes), and a job
that a cluster, `kill` or `timeout` ends with SIGTERM loses the same with no message. The first
signal only asks the loop to stop after the current step; a second Ctrl-C quits at once (the
checkpoint and the model are written atomically, so nothing is left half-written either way).
Signals can only be caught on the main thread; elsewhere (a worker thread) this does nothing.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType


class StopOnSignal:
    """A context manager; `requested` names the signal that asked to stop (None while none has)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested: str | None = None
        self._previous: dict[int, object] = {}

    def __call__(self) -> bool:
        return self.requested is not None

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for number in self.SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]  # what getsignal gave back
        self._previous.clear()

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.requested is not None and number == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: the user wants out now
        if self.requested is None:
            self.requested = signal.Signals(number).name
            print(f"\n{self.requested}: stopping after this step, writing the checkpoint and the model "
                  "(Ctrl-C again to quit at once)", file=sys.stderr, flush=True)
