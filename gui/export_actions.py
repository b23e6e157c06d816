"""File > Export…: the export dialog for the run on screen, the files written on the disk thread,
and each file recorded in the history against its run.

The dialog is shown with open(), never exec(): the event loop (runs, repaints) goes on while it is up, and
while files are written. A full or read-only disk shows in the error banner.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from engine.kinds import ErrorKind
from gui.disk_worker import DiskWorker
from gui.history_wiring import HistoryWiring
from gui.tasks import TaskKeeper
from gui.view_model import ViewModel

log = logging.getLogger(__name__)
STATUS_MS = 10_000


class ExportActions(QObject):
    exported = Signal(object)  # the list of ExportedFile written

    def __init__(self, window: QMainWindow, vm: ViewModel, disk: DiskWorker, history: HistoryWiring):
        super().__init__(window)
        self.window, self.vm, self.disk, self.history = window, vm, disk, history
        self.tasks = TaskKeeper(self._task_failed)  # its own: a failed export never ends a run
        self.dialog = None  # the ExportDialog open now
        self.folder: Path | None = None  # the last folder exported into, offered next time
        self.action = QAction("&Export…", window)
        self.action.setShortcut(QKeySequence("Ctrl+E"))
        self.action.setStatusTip("Write PNGs, animations, a contact sheet or the trajectory of the run on screen")
        self.action.triggered.connect(self.open_dialog)
        window.export_menu.addAction(self.action)
        for signal in (vm.runStateChanged, vm.stepsChanged):
            signal.connect(self._update)
        vm.trajectoryReset.connect(self._update)
        self._update()

    def _update(self, *_) -> None:
        trajectory = self.vm.trajectory
        self.action.setEnabled(not self.vm.busy and trajectory is not None and bool(trajectory.steps))

    def open_dialog(self) -> None:
        trajectory = self.vm.trajectory
        if self.vm.busy or trajectory is None or not trajectory.steps:
            self.window.statusBar().showMessage("Nothing to export yet: generate first (or wait for the run)",
                                                STATUS_MS)
            return
        from gui.export_dialog import ExportDialog  # engine modules: only once a run exists

        if self.dialog is not None:
            self.dialog.close()
        dialog = ExportDialog(trajectory, lambda plan, folder: self.export(trajectory, plan, folder),
                              folder=self.folder, sample=self.vm.focus, parent=self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: self._forget(dialog))
        self.dialog = dialog
        dialog.open()

    def _forget(self, dialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def export(self, trajectory, plan, folder: Path):
        """Write the plan's files on the disk thread now; returns the task that reports them."""
        self.folder = Path(folder)
        info = self.vm.model_info(trajectory.recipe.model) if trajectory.recipe is not None else None
        future = self.disk.submit(_export_job, trajectory, plan, Path(folder), info, self.history)
        self.window.statusBar().showMessage(f"Exporting to {folder}…", STATUS_MS)
        return self.tasks.spawn(self._exported(future, folder), name="export")

    def _task_failed(self, exc: BaseException) -> None:
        """An export task failed (a bug): shown; a run going on goes on."""
        self.vm.status.set_error(ErrorKind.INTERNAL, f"unexpected error in the export: {type(exc).__name__}: {exc}")

    async def _exported(self, future, folder) -> None:
        try:
            written, history_problem = await future
        except Exception as exc:
            message = getattr(exc, "message", None)
            if message is None:
                log.exception("export failed")
                message = f"{type(exc).__name__}: {exc}"
            self.window.statusBar().clearMessage()
            self.vm.status.set_error(ErrorKind.EXPORT, f"the export failed: {message}")
            return
        self.window.statusBar().showMessage(f"Exported {len(written)} file(s) to {folder}", STATUS_MS)
        if history_problem:
            self.vm.status.set_error(ErrorKind.HISTORY, f"the files were written, but not noted in the history: {history_problem}")
        if self.history.gallery is not None and any(f.kind == "trajectory" for f in written):
            self.history.gallery.refresh()  # the run now opens for scrubbing
        self.exported.emit(written)


def _export_job(trajectory, plan, folder: Path, info, history: HistoryWiring):
    """On the disk thread: write the files, then note them in the history under their run.
    Returns (files written, a history problem or None): the files are what matter."""
    import errno

    from engine.errors import ExportError
    from engine.export.plan import export_run
    from engine.history.recording import record_exports
    from engine.models.hashing import model_hash

    try:
        written = export_run(trajectory, folder, plan, model_hash(info) if info is not None else None)
    except OSError as exc:  # outside the atomic writes (they explain their own)
        full = exc.errno == errno.ENOSPC
        raise ExportError(f"cannot write to {folder}: " + ("the disk is full; free some space or choose "
                          "another folder" if full else f"{exc.strerror or exc}")) from None
    run_id = history.run_ids.get(trajectory)
    if history.history is None or run_id is None:
        return written, None
    try:
        record_exports(history.history, run_id, written)
    except Exception as exc:  # sqlite3.Error, OSError
        return written, f"{type(exc).__name__}: {exc}"
    return written, None
