"""Orchestration: Generate, Cancel, queue the next run, preload models. No widgets, no torch.

Runs are awaited in one asyncio task on the Qt loop (qasync); the engine itself runs on the
adapter's worker thread. Generate while a run is going cancels it and starts the new recipe
as soon as the old one has stopped (a newer request supersedes the older). The controller's
TaskKeeper holds only run tasks: a failure there is a failed run, and only then does the
window go back to idle (history and export tasks have keepers of their own).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from engine.errors import InvalidRecipe
from engine.kinds import ErrorKind
from gui.engine_adapter import Catalog, EngineAdapter, ModelFailed, ModelLoading, ModelReady
from gui.run_state import RunState
from gui.tasks import TaskKeeper
from gui.view_model import ViewModel

log = logging.getLogger(__name__)


class RunController(QObject):
    def __init__(self, view_model: ViewModel, adapter: EngineAdapter, parent: QObject | None = None):
        super().__init__(parent)
        self.vm, self.adapter = view_model, adapter
        self.form, self.status = view_model.form, view_model.status
        self.tasks = TaskKeeper(self._task_failed)
        self._next = None  # a recipe waiting for the current run to stop
        self._loop_task = None
        self._preloaded: str | None = None
        adapter.catalogReady.connect(self._on_catalog)
        adapter.modelStatus.connect(self._on_model_status)
        adapter.internalError.connect(
            lambda text: self.status.set_error(ErrorKind.INTERNAL, f"unexpected error: {text}"))
        self.form.fieldsChanged.connect(self._preload_if_changed)

    def generate(self) -> None:
        if not self.form.models:
            return
        if not self.form.fields.seed_locked:
            self.form.new_seed()
        try:
            recipe = self.form.build_recipe()
        except InvalidRecipe as exc:
            self.status.set_error(exc.kind, exc.message)
            return
        self.start(recipe)

    def start(self, recipe) -> None:
        """Run this recipe (Generate's, or a branch's: gui/branch_action.py) the way Generate does."""
        if self._loop_task is not None and not self._loop_task.done():
            self._next = recipe
            self.cancel()  # the loop picks up self._next once the current run has stopped
            return
        self.vm.begin_run(recipe)  # the window shows "loading" at once
        self._loop_task = self.tasks.spawn(self._run_queue(recipe), name="runs")

    def cancel(self) -> None:
        if self.vm.cancel_requested():
            self.adapter.cancel_runs()

    async def _run_queue(self, recipe) -> None:
        while recipe is not None:
            try:
                await self.adapter.run(recipe, self.vm.on_event)
            finally:
                self.vm.end_run()
            recipe, self._next = self._next, None
            if recipe is not None:
                self.vm.begin_run(recipe)

    def shutdown(self, timeout: float = 3.0) -> bool:
        """Stop the engine before the event loop closes; True when the worker has ended."""
        self._next = None
        self.tasks.cancel_all()
        return self.adapter.shutdown(timeout)

    # -- catalog and models ---------------------------------------------------------------

    def _on_catalog(self, catalog: Catalog) -> None:
        self.form.set_catalog(catalog.models, catalog.samplers, catalog.default_model)
        if catalog.problems:
            self.status.set_error(ErrorKind.MODEL_LOAD,
                                  "Some model folders could not be read:\n" + "\n".join(catalog.problems))
        if not catalog.models:
            self.status.set_model_status("No models found")
            self.status.set_error(ErrorKind.MODEL_NOT_FOUND, "No models were found. Put a model folder in the "
                                  "models folder (see `noisescope models`), then restart.")
        self._preload_if_changed()

    def _preload_if_changed(self) -> None:
        name = self.form.fields.model
        if self.form.model_info(name) is not None and name != self._preloaded:
            self._preloaded = name
            self.adapter.preload(name)

    def _on_model_status(self, status) -> None:
        if isinstance(status, ModelLoading):
            self.status.set_model_status(f"Loading {status.name}…")
        elif isinstance(status, ModelReady):
            self.status.set_model_status(f"{status.name} ready on {status.device}", status.name)
        elif isinstance(status, ModelFailed):
            self.status.set_model_status(f"{status.name or 'engine'} failed to load")
            self._preloaded = None  # try again when it is picked again or generated
            self.status.set_error(status.kind, status.message)

    def _task_failed(self, exc: BaseException) -> None:
        """A run task failed (a bug): say so, and the window is idle again (no run is going)."""
        self.status.set_error(ErrorKind.INTERNAL, f"unexpected error in the window: {type(exc).__name__}: {exc}")
        if self.status.state != RunState.IDLE:
            self.status.set_state(RunState.IDLE)
