"""A tool window beside the main one (Run > Sweep…, Run > Interpolate…): the shared chrome.

Non-modal, so the form stays editable while it is open (the run starts from the recipe in it).
On the left a fixed-width settings column that scrolls on a short screen, never squeezes; on the
right the subclass's view. The widgets every such window has are made here: the base recipe line,
the summary line (red when it says what is wrong), Run / Cancel, the progress, its counts and a
note. Names follow `name`: `{name}Dialog`, `{name}Panel`, `{name}Base`, `{name}Summary`, `{name}Run`.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gui.style import ACCENT

PANEL_WIDTH = 330


def _local_style(name: str) -> str:
    return f"""
QPushButton#{name}Run {{ background: {ACCENT}; border: none; color: white; font-weight: 600; padding: 7px 12px; }}
QPushButton#{name}Run:hover {{ background: #5d9bff; }}
QPushButton#{name}Run:disabled {{ background: #2c3a55; color: #7b8496; }}
QLabel#{name}Summary[problem="true"] {{ color: #ff8a80; }}
QLabel#{name}Base {{ color: #aab0ba; }}
"""


def section(text: str) -> QLabel:
    """A heading in the settings column."""
    return QLabel(text.upper(), objectName="sectionTitle")


class SideWindow(QDialog):
    """Subclasses fill `column` (on `panel`, `add_run_controls` where Run goes), then `place` their view."""

    def __init__(self, name: str, title: str, run_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(f"{name}Dialog")
        self.setWindowTitle(title)
        self.setWindowFlag(Qt.WindowType.Window)  # its own window: resizable, beside the main one
        self.setModal(False)
        self.setStyleSheet(_local_style(name))
        self.run_text = run_text
        self.base = QLabel(objectName=f"{name}Base", wordWrap=True)
        self.summary = QLabel(objectName=f"{name}Summary", wordWrap=True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_button = QPushButton(run_text, objectName=f"{name}Run")
        self.cancel_button = QPushButton("Cancel", objectName=f"{name}Cancel")
        self.progress = QProgressBar(textVisible=False)
        self.counts = QLabel(objectName="caption", wordWrap=True)
        self.note = QLabel(objectName="caption", wordWrap=True)
        self.panel = QWidget(objectName=f"{name}Panel")
        self.column = QVBoxLayout(self.panel)
        self.column.setContentsMargins(12, 8, 12, 12)
        self.column.setSpacing(6)

    def add_run_controls(self) -> None:
        """Run and Cancel side by side, the progress and its counts under them."""
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button, 1)
        buttons.addWidget(self.cancel_button)
        self.column.addSpacing(6)
        self.column.addLayout(buttons)
        self.column.addWidget(self.progress)
        self.column.addWidget(self.counts)

    def show_run(self, running: bool, ready: bool, cancelling: bool, counts) -> None:
        """Run / Cancel and the progress as the run stands; `counts` (total, done, text()) None: nothing run yet."""
        self.run_button.setEnabled(not running and ready)
        self.run_button.setText("Running…" if running else self.run_text)
        self.cancel_button.setEnabled(running and not cancelling)
        self.progress.setVisible(counts is not None)
        self.counts.setVisible(counts is not None)
        if counts is not None:
            self.progress.setRange(0, counts.total)
            self.progress.setValue(counts.done)
            self.counts.setText(counts.text())

    def place(self, view: QWidget, size: QSize) -> None:
        """The settings column on the left, `view` taking the rest; `size` is the first size."""
        holder = QScrollArea(widgetResizable=True)  # a short screen scrolls the panel, never squeezes it
        holder.setFrameShape(QFrame.Shape.NoFrame)
        holder.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        holder.setWidget(self.panel)
        holder.setFixedWidth(PANEL_WIDTH)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(holder)
        row.addWidget(view, 1)
        self.resize(size)

    def show_problem(self, text: str | None, summary: str = "") -> None:
        """What is wrong, inline and in red (replaced on the next edit), or the summary line."""
        self.summary.setProperty("problem", text is not None)
        self.summary.setText(text if text is not None else summary)
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)

    def fit_to(self, window: QWidget) -> None:
        """At most the main window's size, so it fits the screen that window fits."""
        self.resize(min(self.width(), window.width()), min(self.height(), window.height()))
