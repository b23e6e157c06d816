"""Errors shown in the window, with what to do (each ErrorKind's title and hint); never a modal
box, never the end of the window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gui.run_state import RunStatus


class ErrorBanner(QFrame):
    def __init__(self, status: RunStatus, parent: QWidget | None = None):
        super().__init__(parent, objectName="errorBanner")
        self.status = status
        self.title = QLabel()
        self.message = QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.clicked.connect(status.clear_error)
        text = QWidget()
        column = QVBoxLayout(text)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addWidget(self.message)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.addWidget(text, 1)
        layout.addWidget(self.dismiss)
        status.errorChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        error = self.status.error
        self.setVisible(error is not None)
        if error is None:
            return
        kind, message = error  # an ErrorKind: it carries its title and what to do
        self.title.setText(f"<b>{kind.title}</b>")
        self.message.setText(f"{message}\n{kind.hint}")
