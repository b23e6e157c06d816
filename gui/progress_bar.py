"""Progress of the run: a thin bar, "Step N of M", elapsed time and time left."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from gui.view_model import CANCELLING, IDLE, LOADING, RUNNING, STARTING, ViewModel


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else f"{int(value // 60)} min {int(value % 60):02d} s"


class RunProgress(QWidget):
    def __init__(self, view_model: ViewModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.vm = view_model
        self.bar = QProgressBar(textVisible=False)
        self.status = QLabel()
        self.timing = QLabel(objectName="timing")
        for label in (self.status, self.timing):  # text changes every step: no relayout for it
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.timing.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.status, 1)
        row.addWidget(self.timing, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        layout.addWidget(self.bar)
        layout.addLayout(row)
        view_model.progressChanged.connect(self.refresh)
        view_model.runStateChanged.connect(lambda _: self.refresh())
        view_model.modelStatusChanged.connect(lambda _: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        vm, p = self.vm, self.vm.progress
        state = vm.run_state
        if state in (STARTING, LOADING):
            self.bar.setRange(0, 0)  # busy: loading has no steps to count
        else:
            self.bar.setRange(0, max(1, p.total))
            self.bar.setValue(p.step)
        if state == STARTING:
            self.status.setText(vm.model_status)
        elif state == LOADING:
            self.status.setText(f"Loading {vm.fields.model}…" if vm.loaded_model != vm.fields.model
                                else "Starting…")
        elif state == RUNNING:
            self.status.setText(f"Step {p.step} of {p.total}")
        elif state == CANCELLING:
            self.status.setText(f"Cancelling at step {p.step} of {p.total}…")
        elif state == IDLE:
            outcome = vm.trajectory.outcome if vm.trajectory is not None else None
            self.status.setText({"finished": f"Done: {p.total} step{'s' if p.total != 1 else ''}", "cancelled": f"Cancelled after {p.step} steps",
                                 "failed": "Failed (see the message above)"}.get(outcome, vm.model_status))
        timing = ""
        if state in (RUNNING, CANCELLING) or (state == IDLE and vm.trajectory is not None):
            timing = f"{_seconds(p.elapsed_s)} elapsed"
            if state == RUNNING and p.eta_s is not None:
                timing += f"  ·  about {_seconds(p.eta_s)} left"
        self.timing.setText(timing)
