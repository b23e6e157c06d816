"""The notices of the run on screen (Trajectory.notices, e.g. "previews of every 4th step are kept:
...past the preview budget"), in the status bar: said, never silent, as the CLI prints them."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from gui.run_state import RunStatus
from gui.trajectory_view import TrajectoryView


def notice_text(notices: list[str]) -> str:
    return "  ·  ".join(f"Note: {notice}" for notice in notices)


class RunNotices(QLabel):
    def __init__(self, view: TrajectoryView, status: RunStatus, parent: QWidget | None = None):
        super().__init__(parent, objectName="runNotices")
        self.view = view
        self.setMinimumWidth(1)  # a long notice is cut (the tooltip has it whole), never widens the window
        self.hide()  # explicitly: a status bar shows what it is given unless it was hidden on purpose
        view.trajectoryReset.connect(self.refresh)  # bound methods: let go when the label is deleted
        view.stepsChanged.connect(self.refresh)  # a run thins its previews as it goes (coalesced: cheap)
        status.stateChanged.connect(self.refresh)
        self.refresh()

    def refresh(self, *_) -> None:
        trajectory = self.view.trajectory
        text = notice_text(trajectory.notices) if trajectory is not None else ""
        if text != self.text():
            self.setText(text)
            self.setToolTip(text.replace("  ·  ", "\n"))
        if self.isHidden() == bool(text):
            self.setVisible(bool(text))  # hidden, not empty: the status bar keeps no gap for it
