"""The history in the window: every run that ends is recorded, the gallery shows them, and a run
(or a dropped file) can be opened, re-run or have its recipe restored.

The Gallery dock exists from the start (so the saved dock layout applies to it); the history
opens once the catalog has arrived, on the DiskWorker thread, where every history read and
write, model hash and trajectory file read happens; failures show in the error banner and the
run stays on screen. Its tasks have their own TaskKeeper: a history task that fails says so and
never touches the run going on.
"""

from __future__ import annotations

import dataclasses
import logging
import weakref
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QMainWindow, QScrollArea

from engine.errors import InvalidRecipe, NoisescopeError
from engine.kinds import ErrorKind, Outcome
from gui.disk_worker import DiskWorker
from gui.run_controller import RunController
from gui.tasks import TaskKeeper
from gui.view_model import ViewModel

log = logging.getLogger(__name__)
STATUS_MS = 15_000
GALLERY_WIDTH = 330  # three thumbnails across


class RunIds:
    """Which history row a trajectory on screen belongs to (its exports are recorded there).
    Keyed by the object; an entry goes when its trajectory is freed. Written on the disk thread."""

    def __init__(self) -> None:
        self._ids: dict[int, int] = {}

    def set(self, trajectory: Any, run_id: int) -> None:
        key = id(trajectory)
        if key not in self._ids:
            weakref.finalize(trajectory, self._ids.pop, key, None)
        self._ids[key] = run_id

    def get(self, trajectory: Any) -> int | None:
        return self._ids.get(id(trajectory))


class HistoryWiring(QObject):
    ready = Signal()  # the history is open and the gallery shown
    recorded = Signal(int)  # a run was added to the history (its id)

    def __init__(self, window: QMainWindow, vm: ViewModel, controller: RunController, disk: DiskWorker):
        super().__init__(window)
        self.window, self.vm, self.controller, self.disk = window, vm, controller, disk
        self.form, self.status = vm.form, vm.status
        self.tasks = TaskKeeper(self._task_failed)  # its own: a failure here never ends a run
        self.history = None  # engine.history.History, once open
        self.gallery = None  # gui.gallery_panel.GalleryPanel, once open
        self.run_ids = RunIds()
        self._pending: list = []  # runs that ended before the history was open
        self._opening = False
        # The panel scrolls rather than widen the window's minimum: a small screen still fits it.
        self.holder = QScrollArea(objectName="galleryHolder", widgetResizable=True)
        self.holder.setFrameShape(QFrame.Shape.NoFrame)
        self.placeholder = QLabel("The gallery opens once the engine has started…")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.placeholder.setMargin(8)
        self.holder.setWidget(self.placeholder)
        self.dock = window.add_panel("Gallery", self.holder, width=GALLERY_WIDTH)  # a saved layout wins
        vm.form.catalogChanged.connect(self.open)
        vm.runEnded.connect(self.record)

    # -- opening ---------------------------------------------------------------------------
    def open(self) -> None:
        """Open the history on the disk thread (the engine is imported by now), then the gallery."""
        if not self._opening:
            self._opening = True
            self.tasks.spawn(self._open(), name="history-open")

    async def _open(self) -> None:
        # Imported here, not at the top: its thumbnails bring PIL, which the window's start does not need.
        from engine.history import History

        try:
            history = await self.disk.submit(History)  # its path: engine.paths.user_data_dir()
        except Exception as exc:  # sqlite3.Error, OSError: the window works without a history
            log.exception("cannot open the history")
            self.placeholder.setText(f"The history could not be opened: {exc}")  # still the holder's
            self.status.set_error(ErrorKind.HISTORY, f"the history could not be opened: {exc}")
            return
        if self.disk.closed:  # the window closed meanwhile
            history.close()
            return
        self.history = history
        self.tasks.spawn(self._sweep(history.path), name="sweep-temporaries")  # in the background
        self._show_gallery()
        for trajectory in self._pending:
            self.record(trajectory)
        self._pending.clear()
        self.ready.emit()

    def _show_gallery(self) -> None:
        from gui.gallery_panel import GalleryPanel
        from gui.recipe_drop import install_recipe_drop

        self.gallery = GalleryPanel(self.history, self.disk, self.tasks, on_open_run=self.open_run, on_rerun=self.rerun)
        self.holder.setWidget(self.gallery)  # the placeholder goes with it

        def current_recipe():
            try:
                return self.form.build_recipe()
            except InvalidRecipe:
                return None

        self.drop_filter = install_recipe_drop(
            self.window, self.on_drop, base=current_recipe, known_models=lambda: [m.name for m in self.form.models],
            submit=self.disk.submit, model_info=self.form.model_info, catalog=lambda: tuple(self.form.models))

    async def _sweep(self, history_path) -> None:
        from gui.stale_files import sweep_at_startup

        if not self.disk.closed:
            await self.disk.submit(sweep_at_startup, history_path)

    # -- recording runs --------------------------------------------------------------------
    def record(self, trajectory) -> None:
        """Record a run that ended (runEnded): finished and cancelled runs; failed ones are not."""
        if trajectory.outcome not in (Outcome.FINISHED, Outcome.CANCELLED) or trajectory.recipe is None:
            return
        if self.history is None:
            self._pending.append(trajectory)
            return
        if self.disk.closed:
            return
        info = self.form.model_info(trajectory.recipe.model)
        future = self.disk.submit(_record_job, self.history, trajectory, info, self.run_ids)
        self.tasks.spawn(self._recorded(future), name="history-record")

    async def _recorded(self, future) -> None:
        try:
            run_id = await future
        except Exception as exc:
            log.exception("recording a run failed")
            self.status.set_error(ErrorKind.HISTORY, f"the run was not saved in the history: {_reason(exc)}")
            return
        refreshed = self.gallery.refresh()
        if refreshed is not None:
            await refreshed  # the run is in the gallery when `recorded` says so
        self.recorded.emit(run_id)

    def record_unfinished(self) -> None:
        """At quit, a run still going is recorded as cancelled (the engine no longer says so)."""
        trajectory = self.vm.view.trajectory
        if (self.history is None or self.disk.closed or trajectory is None or trajectory.recipe is None
                or trajectory.outcome != Outcome.RUNNING or not trajectory.steps):
            return
        stopped = dataclasses.replace(trajectory, steps=list(trajectory.steps), outcome=Outcome.CANCELLED,
                                      duration_s=trajectory.steps[-1].elapsed_s)
        self.disk.submit(_record_job, self.history, stopped, self.form.model_info(stopped.recipe.model), self.run_ids)

    # -- gallery actions -------------------------------------------------------------------
    def use_recipe(self, recipe) -> str:
        """Put a recipe in the controls (every field of the table); a note when part could not be taken."""
        return self.form.use_recipe(recipe)

    def open_run(self, run_id: int) -> None:
        self.tasks.spawn(self._open_run(run_id), name="history-open-run")

    async def _open_run(self, run_id: int) -> None:
        from gui.gallery_panel import load_run

        try:
            record, trajectory = await self.disk.submit(load_run, self.history, run_id)
            note = self.use_recipe(record.recipe()) if record is not None else ""
        except NoisescopeError as exc:
            self.status.set_error(exc.kind, f"run {run_id} cannot be opened: {exc.message}")
            return
        except Exception as exc:
            self.status.set_error(ErrorKind.HISTORY, f"run {run_id} cannot be opened: {_reason(exc)}")
            return
        if record is None:
            self.status_message(f"Run {run_id} is no longer in the history.")
            return
        if trajectory is None:
            self.status_message(f"Run {run_id}'s recipe is in the controls; its steps were not kept (too many to keep; export a "
                        f"trajectory file to keep them). Generate to see it again.{note}")
        elif self.vm.show_trajectory(trajectory, f"from history #{run_id}"):
            self.run_ids.set(trajectory, run_id)
            self.status_message(f"Run {run_id}: {len(trajectory)} steps to scrub; its recipe is in the controls.{note}")
        else:
            self.status_message(f"A run is going: cancel it to look at run {run_id}. Its recipe is in the controls.{note}")

    def rerun(self, recipe) -> None:
        note = self.use_recipe(recipe)
        if note:
            self.status_message(note.strip())
        self.controller.generate()

    # -- dropped files ---------------------------------------------------------------------
    def on_drop(self, result) -> None:
        if not result.ok:
            self.status.set_error(ErrorKind.INVALID_RECIPE, result.message)
            return
        self.use_recipe(result.recipe)  # recipe_from_file already kept the model when unknown
        self.status_message(result.message)
        if result.is_trajectory:
            self.tasks.spawn(self._open_file(result.path), name="trajectory-open")

    async def _open_file(self, path) -> None:
        from engine.export.trajectory_file import load_trajectory

        try:
            trajectory = await self.disk.submit(load_trajectory, path)
        except NoisescopeError as exc:
            self.status.set_error(exc.kind, exc.message)
            return
        if not self.vm.show_trajectory(trajectory):
            self.status_message(f"A run is going: cancel it, then drop {path.name} again to scrub it.")

    # -- plumbing --------------------------------------------------------------------------
    def status_message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, STATUS_MS)

    def _task_failed(self, exc: BaseException) -> None:
        """A history task failed (a bug): shown; a run going on goes on."""
        self.status.set_error(ErrorKind.INTERNAL, f"unexpected error in the history: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        """After the disk worker has finished its jobs: close the history's connections."""
        if self.history is not None:
            self.history.close()


def _record_job(history, trajectory, info, run_ids: RunIds) -> int:
    """On the disk thread: hash the model (cached after the first time) and record the run the way
    the CLI does (engine.history.recording: its steps kept so it reopens for scrubbing)."""
    from engine.history.recording import record_run
    from engine.models.hashing import model_hash

    run_id = record_run(history, trajectory, model_hash(info) if info is not None else None)
    run_ids.set(trajectory, run_id)
    return run_id


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    return message or f"{type(exc).__name__}: {exc}"
