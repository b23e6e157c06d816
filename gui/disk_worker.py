"""The one thread for disk work the window asks for: history writes, model hashes, exports,
reading trajectory files. Never torch, never the GUI thread, never the engine thread.

Jobs run one at a time in the order given, so an export asked for right after a run ended runs
after that run was recorded. `close()` waits for every job already given: nothing submitted is
lost when the window closes (a plain thread: qasync's own executor uses QThreads that do not
outlive the window).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class DiskWorker:
    def __init__(self, name: str = "noisescope-disk"):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._closed = False

    def submit(self, function: Callable[..., Any], *args: Any) -> asyncio.Future:
        """Start function(*args) on the disk thread now; await the result on the GUI loop.
        Cancelling the awaiting task (as the window does at quit) does not cancel the job."""
        if self._closed:
            raise RuntimeError("the disk worker is closed")
        return asyncio.shield(asyncio.wrap_future(self._executor.submit(function, *args)))

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Finish every job already submitted, then stop the thread. Idempotent."""
        if not self._closed:
            self._closed = True
            self._executor.shutdown(wait=True)
