"""What the wirings of the Run menu's side windows share (gui/sweep_wiring.py,
gui/interpolate_wiring.py): the menu action, the window made on first use and checked again
when the form changes, one job at a time, and stopping it at quit.

A subclass gives `make_dialog` (its window), `connect_dialog` (the window's signals to its
slots), `check` (plan what is typed, inline) and `_show_state` (enable what fits the state).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow

from engine.kinds import ErrorKind
from gui.side_window import SideWindow
from gui.tasks import TaskKeeper
from gui.view_model import ViewModel


class SideWindowWiring(QObject):
    def __init__(self, window: QMainWindow, vm: ViewModel, what: str, action: tuple[str, str, str]):
        """`what` names the run in messages ("the sweep"); `action` is the menu entry's text, object name, tip."""
        super().__init__(window)
        self.window, self.vm, self.what = window, vm, what
        self.form = vm.form
        self.tasks = TaskKeeper(self._task_failed)  # Studio.task_keepers() cancels it at exit
        self.dialog: Any = None  # the subclass's SideWindow, made at the first open
        self.file_dialog: QFileDialog | None = None
        self.job: Any = None  # the subclass's StreamedJob while one runs
        self.ready = False  # what is typed makes a run that can start
        self.started_at = 0.0
        text, name, tip = action
        self.action = QAction(text, window)
        self.action.setObjectName(name)
        self.action.setToolTip(tip)
        self.action.triggered.connect(self.open)
        window.run_menu.addAction(self.action)  # type: ignore[attr-defined]

    @property
    def running(self) -> bool:
        return self.job is not None

    def make_dialog(self) -> SideWindow:
        raise NotImplementedError

    def connect_dialog(self, dialog: Any) -> None:
        raise NotImplementedError

    def check(self) -> Any:
        raise NotImplementedError

    def _show_state(self) -> None:
        raise NotImplementedError

    def open(self) -> Any:
        if self.dialog is None:
            self.dialog = dialog = self.make_dialog()
            dialog.fit_to(self.window)
            self.connect_dialog(dialog)
            self.form.fieldsChanged.connect(self._form_changed)
            self.form.catalogChanged.connect(self._form_changed)
        self.check()
        self._show_state()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _form_changed(self) -> None:
        if self.dialog is not None and self.dialog.isVisible() and not self.running:  # else checked when shown
            self.check()

    def _task_failed(self, exc: BaseException) -> None:
        self.vm.status.set_error(ErrorKind.INTERNAL, f"unexpected error in {self.what}: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        """At quit: stop the run (the worker then ends promptly) and close the window."""
        if self.job is not None:
            self.job.cancel.set()
        if self.dialog is not None:
            self.dialog.close()
