"""Errors shown in the window, with what to do; never a modal box, never the end of the window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gui.view_model import ViewModel

HINTS = {
    "model_load": "Pick another model, or replace the damaged model folder and restart.",
    "unsafe_model": "This file would run code when loaded; use a safetensors model instead.",
    "model_not_found": "Check the models folder (`noisescope models` lists what is found).",
    "out_of_memory": "Lower the batch size or the number of samples, then Generate again.",
    "invalid_recipe": "Change the setting named above, then Generate again.",
    "internal": "This is a bug in Noisescope; the details are in the log. The window still works.",
    "export": "Choose another folder (or free some space), then export again; the run is still here.",
    "history": "The run is still on screen: export it to keep it. Check that the data folder is writable.",
}
TITLES = {
    "model_load": "The model could not be loaded", "unsafe_model": "Unsafe model file refused",
    "model_not_found": "Model not found", "out_of_memory": "Out of memory",
    "invalid_recipe": "A setting does not fit", "internal": "Something went wrong",
    "export": "The export failed", "history": "The history could not be saved",
}


class ErrorBanner(QFrame):
    def __init__(self, view_model: ViewModel, parent: QWidget | None = None):
        super().__init__(parent, objectName="errorBanner")
        self.vm = view_model
        self.title = QLabel()
        self.message = QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.clicked.connect(view_model.clear_error)
        text = QWidget()
        column = QVBoxLayout(text)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addWidget(self.message)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.addWidget(text, 1)
        layout.addWidget(self.dismiss)
        view_model.errorChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        error = self.vm.error
        self.setVisible(error is not None)
        if error is None:
            return
        kind, message = error
        self.title.setText(f"<b>{TITLES.get(kind, 'Error')}</b>")
        hint = HINTS.get(kind, "")
        self.message.setText(f"{message}" + (f"\n{hint}" if hint else ""))
