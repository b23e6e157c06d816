"""File > Models folders…: extra folders whose checkpoints and model folders the model list offers
(an AUTOMATIC1111 models/Stable-diffusion, a ComfyUI models/checkpoints).

The list lives in the same settings file the CLI reads (engine/config_file.py), so
`noisescope models` and the window agree. Saving re-lists the models off the GUI thread (it reads
checkpoint headers, which on a network drive may take a moment) and hands the list to the form.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine import config_file
from engine.errors import NoisescopeError
from engine.kinds import ErrorKind
from engine.models.catalog import default_model_name, discover_models

HINT = ("Checkpoints (.safetensors, .ckpt) and model folders in these folders, and one level of "
        "sub-folders, are offered in the model list. For example AUTOMATIC1111's "
        "<i>models/Stable-diffusion</i> or ComfyUI's <i>models/checkpoints</i>.")


class ModelsFoldersDialog(QDialog):
    saved = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Models folders")
        self.list = QListWidget()
        self.list.setObjectName("modelsFolders")
        for folder in config_file.saved_models_folders():
            self._add_item(folder)
        add, self.remove = QPushButton("&Add…"), QPushButton("&Remove")
        add.clicked.connect(lambda: self.add_folder())
        self.remove.clicked.connect(self.remove_selected)
        self.list.itemSelectionChanged.connect(lambda: self.remove.setEnabled(bool(self.list.selectedItems())))
        self.remove.setEnabled(False)
        self.error = QLabel(wordWrap=True)
        self.error.setObjectName("modelsFoldersError")
        self.error.setStyleSheet("color: #c0392b")
        self.error.hide()
        where = QLabel(f"Saved in {config_file.config_path()} (also read by <tt>noisescope models</tt>).",
                       wordWrap=True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(self.remove)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(HINT, wordWrap=True))
        layout.addWidget(self.list)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(where)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def folders(self) -> list[Path]:
        return [Path(self.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.list.count())]

    def add_folder(self, folder: Path | None = None) -> None:
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(self, "Add a models folder")
            if not chosen:
                return
            folder = Path(chosen)
        if str(folder) not in {str(f) for f in self.folders()}:
            self._add_item(folder)

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))

    def accept(self) -> None:
        try:
            config_file.save_models_folders(self.folders())
        except NoisescopeError as exc:
            self.error.setText(exc.message)  # stays open: nothing was saved
            self.error.show()
            return
        self.saved.emit()
        super().accept()

    def _add_item(self, folder: Path) -> None:
        missing = not folder.is_dir()
        item = QListWidgetItem(f"{folder}  (not found)" if missing else str(folder))
        item.setData(Qt.ItemDataRole.UserRole, str(folder))
        if missing:
            item.setToolTip("This folder does not exist now; its models are skipped until it does.")
        self.list.addItem(item)


class CatalogRefresher(QObject):
    """Lists the models again on a short-lived thread and gives the result to the form (GUI thread)."""

    listed = Signal(object, object)  # models, problems

    def __init__(self, form, report=None, parent: QObject | None = None):
        super().__init__(parent)
        self.form = form
        self.report = report  # report(kind, message): the window's error banner
        self.problems: list[str] = []
        self.listed.connect(self._apply)  # emitted from the thread: queued onto this object's (GUI) thread

    def refresh(self) -> threading.Thread:
        thread = threading.Thread(target=self._scan, name="noisescope-catalog", daemon=True)
        thread.start()
        return thread

    def _scan(self) -> None:
        problems: list[str] = []
        try:
            models = discover_models(problems=problems)
        except Exception as exc:  # never lost: shown as a problem line
            models, problems = list(self.form.models), [f"listing the models failed: {exc}"]
        self.listed.emit(models, problems)

    def _apply(self, models, problems) -> None:
        self.problems = list(problems)
        self.form.set_catalog(models, self.form.samplers, default_model_name(models))
        if problems and self.report is not None:
            self.report(ErrorKind.MODEL_LOAD, "Some models could not be listed:\n" + "\n".join(problems))


def add_models_folders_action(window, menu, view_model) -> QAction:
    """File > Models folders…, opening the dialog (non-modal) and refreshing the model list on save."""
    refresher = CatalogRefresher(view_model.form, view_model.set_error, window)
    action = QAction("&Models folders…", window)
    action.setObjectName("modelsFoldersAction")

    def show() -> None:
        dialog = ModelsFoldersDialog(window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(refresher.refresh)
        window.models_folders_dialog = dialog  # reachable for tests
        dialog.open()

    action.triggered.connect(show)
    menu.addAction(action)
    window.catalog_refresher = refresher
    return action
