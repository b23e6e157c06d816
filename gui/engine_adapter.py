"""The thin adapter between the Qt GUI and the engine: one dedicated worker thread.

The worker is the only thread that touches torch: it imports the engine's runtime (torch,
diffusers: seconds; the GUI imports only the torch-free core), discovers the models, preloads one
into the ModelCache, iterates `engine.run`, and runs small `call` jobs against that cache (a step
decoded again: gui/decode_wiring.py). Everything it produces (engine events and the adapter's own
messages below: plain values and read-only numpy arrays) goes into a thread-safe deque; one queued
signal wakes the GUI thread, which drains everything waiting in one go. The worker never waits for
the GUI, and the GUI never waits for torch.

Each message is delivered in order and none is dropped here; display coalescing is the
view-model's business (it records every Step and repaints at most once per frame).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot

from engine.errors import NoisescopeError
from engine.events import Cancelled, Event, Failed, Finished
from engine.kinds import ErrorKind
from engine.models.catalog import default_model_name, discover_models, find_model
from engine.samplers.registry import SAMPLERS

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Catalog:
    """What can be generated: found once the engine is imported (no weights loaded)."""

    models: tuple  # ModelInfo, bundled first
    samplers: tuple  # SamplerSpec
    default_model: str | None
    problems: tuple[str, ...]  # model folders that could not be read


@dataclass(frozen=True)
class ModelLoading:
    name: str


@dataclass(frozen=True)
class ModelReady:
    name: str
    device: str
    seconds: float


@dataclass(frozen=True)
class ModelFailed:
    name: str
    kind: ErrorKind
    message: str


@dataclass(frozen=True)
class _CallOutcome:
    """What a `call` job returned or raised, on its way to the GUI thread's future."""

    value: Any = None
    error: BaseException | None = None

    def settle(self, future: asyncio.Future) -> None:
        if future.done():
            return
        if self.error is not None:
            future.set_exception(self.error)
        else:
            future.set_result(self.value)


def is_terminal(event: Any) -> bool:
    return isinstance(event, (Finished, Cancelled, Failed))


def leave_a_core_for_the_gui() -> None:
    """torch's threads on every core starve the GUI thread and, on a busy machine, wait on each other:
    the same choice as the command line's (engine/threads.py), with one core left for the GUI."""
    from engine.threads import apply_threads

    apply_threads(gui=True)


class EngineAdapter(QObject):
    catalogReady = Signal(object)  # Catalog
    modelStatus = Signal(object)  # ModelLoading | ModelReady | ModelFailed
    internalError = Signal(str)  # a bug in a GUI-side handler; shown, never swallowed
    _wake = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._out: deque = deque()
        self._wake_lock = threading.Lock()
        self._wake_pending = False
        self._ids = itertools.count(1)
        self._runs: dict[int, tuple[Callable[[Any], None], asyncio.Future, threading.Event]] = {}
        self._calls: dict[int, asyncio.Future] = {}
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._doing = "starting"  # what the worker is busy with: starting, preload, run, call or idle
        self._cache = None  # an engine.model_cache.ModelCache, made on the worker
        self._wanted_model: str | None = None
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    # -- GUI thread API -------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker; it reports a Catalog first, then does the queued jobs."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._work, name="noisescope-engine", daemon=True)
        self._thread.start()

    def preload(self, model_name: str) -> None:
        """Load a model into the cache in the background, so the next Generate starts at once."""
        self._wanted_model = model_name  # an older preload still queued is skipped
        self._jobs.put(("preload", model_name))

    async def run(self, recipe: Any, on_event: Callable[[Any], None]) -> Any:
        """Run a recipe on the worker; `on_event` gets every event, in order, on the GUI thread.

        Returns the terminal event (Finished, Cancelled or Failed). Cancelling the awaiting task
        cancels the run at its next step.
        """
        future = asyncio.get_running_loop().create_future()
        job_id, cancel = next(self._ids), threading.Event()
        self._runs[job_id] = (on_event, future, cancel)
        self._jobs.put(("run", job_id, recipe, cancel))
        try:
            return await future
        except asyncio.CancelledError:
            cancel.set()
            raise
        finally:
            self._runs.pop(job_id, None)

    async def call(self, fn: Callable[[Any], T]) -> T:
        """Run `fn(model_cache)` on the worker (the only thread that touches torch), after the jobs
        queued before it; its result, or the exception it raised, comes back here. The GUI thread
        only awaits. Cancelling the awaiting task drops the result (fn itself runs to its end)."""
        future = asyncio.get_running_loop().create_future()
        job_id = next(self._ids)
        self._calls[job_id] = future
        self._jobs.put(("call", job_id, fn))
        try:
            return await future
        finally:
            self._calls.pop(job_id, None)

    def cancel_runs(self) -> None:
        """Ask every queued or running run to stop at its next step."""
        for _, _, cancel in self._runs.values():
            cancel.set()

    def shutdown(self, timeout: float = 3.0) -> bool:
        """Cancel everything and stop the worker; True when it ended in time.

        A run stops at its next step, so it gets `timeout`. Importing torch or loading a model
        cannot be interrupted: then only a short wait, and the (daemon) thread is left to end
        with the process, so quitting stays prompt."""
        self._stopping = True
        self.cancel_runs()
        self._jobs.put(None)
        if self._thread is None:
            return True
        self._thread.join(timeout if self._doing in ("run", "idle") else min(timeout, 0.3))
        alive = self._thread.is_alive()
        if alive:
            log.warning("engine worker still busy after %.1f s (loading a model?); leaving it", timeout)
        return not alive

    @property
    def worker_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @Slot()
    def _drain(self) -> None:
        with self._wake_lock:
            self._wake_pending = False
        while self._out:
            job_id, message = self._out.popleft()
            if isinstance(message, _CallOutcome):
                call = self._calls.get(job_id)
                if call is not None:  # else its task was cancelled: nobody waits for it
                    message.settle(call)
                continue
            if job_id == 0:
                if isinstance(message, Catalog):
                    self.catalogReady.emit(message)
                else:
                    self.modelStatus.emit(message)
                continue
            entry = self._runs.get(job_id)
            if entry is None:
                continue  # its task was cancelled; the worker is already stopping that run
            on_event, future, _ = entry
            try:
                on_event(message)
            except Exception as exc:  # keep draining: later events and the run's end must arrive
                log.exception("handling %s failed", type(message).__name__)
                self.internalError.emit(f"{type(exc).__name__}: {exc}")
            finally:
                if is_terminal(message) and not future.done():
                    future.set_result(message)

    # -- worker thread ----------------------------------------------------------------------

    def _post(self, job_id: int, message: Any) -> None:
        self._out.append((job_id, message))
        with self._wake_lock:
            if self._wake_pending:
                return
            self._wake_pending = True
        self._wake.emit()  # crosses to the GUI thread as a queued call

    def _work(self) -> None:
        try:
            self._post(0, self._catalog())
        except Exception as exc:  # never lose it: the window shows it
            log.exception("model discovery failed")
            self._post(0, ModelFailed("", ErrorKind.INTERNAL, f"could not start the engine: {exc}"))
        while True:
            self._doing = "idle"
            job = self._jobs.get()
            if job is None:
                return
            if self._stopping:
                continue
            self._doing = job[0]
            try:
                if job[0] == "preload":
                    self._preload(job[1])
                elif job[0] == "call":
                    self._call(job[1], job[2])
                else:
                    self._run(*job[1:])
            except Exception as exc:  # a bug; the run's waiter still gets a terminal event
                log.exception("engine job failed")
                if job[0] == "run":
                    self._post(job[1], Failed(job[2], ErrorKind.INTERNAL, f"unexpected error: {exc}"))

    def _catalog(self) -> Catalog:
        # The runtime below the torch-free core: torch, diffusers (seconds), here and never on the GUI thread.
        from engine.model_cache import ModelCache

        leave_a_core_for_the_gui()
        self._cache = ModelCache()
        problems: list[str] = []
        models = discover_models(problems=problems)
        return Catalog(tuple(models), tuple(SAMPLERS.values()), default_model_name(models), tuple(problems))

    def _preload(self, name: str) -> None:
        import torch

        from engine.device import pick_dtype, resolve_device

        if name != self._wanted_model:
            return  # the person has picked another model since
        self._post(0, ModelLoading(name))
        started = time.perf_counter()
        try:
            info = find_model(name)
            device = resolve_device("auto")
            self._cache.get(info, device, pick_dtype(device))
        except NoisescopeError as exc:
            self._post(0, ModelFailed(name, exc.kind, exc.message))
        except torch.OutOfMemoryError:
            self._cache.clear()  # whatever part of it was placed: the next model gets the memory
            self._post(0, ModelFailed(name, ErrorKind.OUT_OF_MEMORY,
                                      f"not enough memory to load {name}: close other programs using the GPU, "
                                      "or pick a smaller model (a fp16 or pruned checkpoint)"))
        except Exception as exc:
            log.exception("preload failed")
            self._post(0, ModelFailed(name, ErrorKind.MODEL_LOAD, f"{name} could not be loaded: {exc}"))
        else:
            self._post(0, ModelReady(name, str(device), time.perf_counter() - started))

    def _call(self, job_id: int, fn: Callable[[Any], Any]) -> None:
        try:
            outcome = _CallOutcome(value=fn(self._cache))
        except Exception as exc:  # the caller decides what it means; it is raised where it awaits
            if not isinstance(exc, NoisescopeError):
                log.exception("engine call failed")  # a bug: its traceback goes to the log here
            outcome = _CallOutcome(error=exc.with_traceback(None))  # not the frames: they hold tensors
        self._post(job_id, outcome)

    def _run(self, job_id: int, recipe: Any, cancel: threading.Event) -> None:
        from engine.run import run

        last: Event | None = None
        for event in run(recipe, cancel, cache=self._cache):
            self._post(job_id, event)
            last = event
        if last is None or not is_terminal(last):
            self._post(job_id, Failed(recipe, ErrorKind.INTERNAL, "the engine stopped without a result"))
