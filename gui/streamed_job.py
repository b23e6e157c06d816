"""A job on the engine worker whose items are streamed to the GUI thread, coalesced.

The worker `put`s each (kind, item) pair into a deque; the first put since the last drain emits
one queued signal, and the GUI thread then drains everything waiting in one go (EngineAdapter's
own pattern). The worker never waits for the GUI. Subclasses (gui/sweep_job.py,
gui/interpolate_job.py) give the `work(cache)` that EngineAdapter.call runs.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot


class StreamedJob(QObject):
    """`put` on the engine worker, `items` on the GUI thread; `cancel` is for the worker to check."""

    items = Signal(list)  # (kind, item) pairs that arrived since the last wake, in order
    _wake = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.cancel = threading.Event()
        self._out: deque[tuple[str, Any]] = deque()
        self._lock = threading.Lock()
        self._pending = False
        self._wake.connect(self.drain, Qt.ConnectionType.QueuedConnection)

    def put(self, kind: str, item: Any) -> None:
        """On the engine worker: queue one item; wake the GUI thread unless a wake is already on its way."""
        self._out.append((kind, item))
        with self._lock:
            if self._pending:
                return
            self._pending = True
        self._wake.emit()

    @Slot()
    def drain(self) -> None:
        """On the GUI thread: emit what is waiting (also called at the end, for the items still queued)."""
        with self._lock:
            self._pending = False
        arrived = []
        while self._out:
            arrived.append(self._out.popleft())
        if arrived:
            self.items.emit(arrived)
