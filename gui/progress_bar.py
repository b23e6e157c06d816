"""Progress of the run: a thin bar, "Step N of M", elapsed time and time left."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from engine.kinds import Outcome
from gui.recipe_form import RecipeForm
from gui.run_state import RunState, RunStatus
from gui.trajectory_view import TrajectoryView


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else f"{int(value // 60)} min {int(value % 60):02d} s"


def _ended(outcome: str, p) -> str:
    if outcome == Outcome.FINISHED:
        return f"Done: {p.total} step{'s' if p.total != 1 else ''}"
    if outcome == Outcome.CANCELLED:
        return f"Cancelled after {p.step} steps"
    return "Failed (see the message above)" if outcome == Outcome.FAILED else ""


class RunProgress(QWidget):
    def __init__(self, status: RunStatus, form: RecipeForm, view: TrajectoryView, parent: QWidget | None = None):
        super().__init__(parent)
        self.status_model, self.form, self.view = status, form, view
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
        status.progressChanged.connect(self.refresh)
        status.stateChanged.connect(self.refresh)  # bound methods: let go when the widget is deleted
        status.modelStatusChanged.connect(self.refresh)
        self.refresh()

    def refresh(self, *_) -> None:
        run, p = self.status_model, self.status_model.progress
        state, trajectory = run.state, self.view.trajectory
        if state in (RunState.STARTING, RunState.LOADING):
            self.bar.setRange(0, 0)  # busy: loading has no steps to count
        else:
            self.bar.setRange(0, max(1, p.total))
            self.bar.setValue(p.step)
        if state == RunState.STARTING:
            self.status.setText(run.model_status)
        elif state == RunState.LOADING:
            model = self.form.fields.model
            self.status.setText(f"Loading {model}…" if run.loaded_model != model else "Starting…")
        elif state == RunState.RUNNING:
            self.status.setText(f"Step {p.step} of {p.total}")
        elif state == RunState.CANCELLING:
            self.status.setText(f"Cancelling at step {p.step} of {p.total}…")
        elif state == RunState.IDLE:
            self.status.setText(_ended(trajectory.outcome, p) if trajectory is not None else run.model_status)
        timings = [""]
        if state in (RunState.RUNNING, RunState.CANCELLING) or (state == RunState.IDLE and trajectory is not None):
            timings = [f"{_seconds(p.elapsed_s)} elapsed"]
            if state == RunState.RUNNING and p.eta_s is not None:
                # a narrow window keeps what is left (what a person waits for), not a cut-off number
                timings = [f"{timings[0]}  ·  about {_seconds(p.eta_s)} left", f"about {_seconds(p.eta_s)} left"]
        metrics, room = self.timing.fontMetrics(), self.timing.width()
        self.timing.setText(next((t for t in timings if metrics.horizontalAdvance(t) <= room), timings[-1]))
