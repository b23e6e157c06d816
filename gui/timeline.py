"""The timeline: scrub, play and step through the recorded steps of a run.

It drives a Playhead, so every TrajectoryView on that playhead moves with it; the step text
describes the first view's run. During a run the slider follows the newest step until the
person grabs it (drags, steps or plays); "Live" follows again. After the run every step stays.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from gui.run_state import RunStatus
from gui.trajectory_view import Playhead, TrajectoryView

SPEEDS = (("0.5×", 6), ("1×", 12), ("2×", 24), ("4×", 48))  # label, frames per second


class Timeline(QWidget):
    def __init__(self, playhead: Playhead, view: TrajectoryView, status: RunStatus, parent: QWidget | None = None):
        super().__init__(parent)
        self.playhead, self.view, self.status = playhead, view, status
        self.back = QToolButton(text="|◀", toolTip="Previous step (Left)")
        self.play = QToolButton(text="▶", toolTip="Play / pause (Space)", checkable=True)
        self.forward = QToolButton(text="▶|", toolTip="Next step (Right)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.info = QLabel("No steps yet", objectName="stepInfo")
        self.info.setMinimumWidth(1)  # its text changes every step: it takes the room left, no relayout
        self.live = QToolButton(text="● Live", checkable=True, toolTip="Follow the newest step")
        self.speed = QComboBox()
        for label, fps in SPEEDS:
            self.speed.addItem(label, fps)
        self.speed.setCurrentIndex(1)
        self.speed.setToolTip("Playback speed")
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)

        # The slider gets a row of its own: with docks open the viewer is narrow, and a slider
        # sharing its row with the buttons and the step text was left ~100 px to scrub 30+ steps.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.setSpacing(2)
        layout.addWidget(self.slider)
        row = QHBoxLayout()
        for widget in (self.back, self.play, self.forward):
            row.addWidget(widget)
        row.addWidget(self.info, 1)
        self._tools_at = row.count()  # add_tool() puts buttons here, between the step text and Live
        row.addWidget(self.live)
        row.addWidget(self.speed)
        layout.addLayout(row)
        self._row = row

        self.back.clicked.connect(lambda: self.step_by(-1))
        self.forward.clicked.connect(lambda: self.step_by(1))
        self.play.toggled.connect(self._play_toggled)
        self.slider.valueChanged.connect(self._slider_moved)
        self.live.toggled.connect(playhead.set_following)
        self.speed.currentIndexChanged.connect(self._restart_timer)
        playhead.countChanged.connect(self._steps_changed)
        playhead.stepChanged.connect(self._sync)
        playhead.followingChanged.connect(self._sync_live)
        view.trajectoryReset.connect(self._reset)  # bound methods: let go when the widget is deleted
        status.stateChanged.connect(self._state_changed)
        self._sync_live(True)
        self._steps_changed(0)

    def add_tool(self, widget: QWidget) -> None:
        """A button that acts on the step shown (e.g. Branch from this step), beside the step text."""
        self._row.insertWidget(self._tools_at, widget)
        self._tools_at += 1

    def _reset(self) -> None:
        self._steps_changed(self.playhead.step_count())

    def _state_changed(self, *_) -> None:
        self._sync_live(self.playhead.following)

    def toggle_play(self) -> None:
        self.play.toggle()

    def step_by(self, delta: int) -> None:
        self.playhead.set_step(self.playhead.step + delta)

    def _play_toggled(self, on: bool) -> None:
        self.play.setText("❚❚" if on else "▶")
        if on:
            if self.playhead.step >= self.playhead.step_count() - 1:
                self.playhead.set_step(0)  # play from the start after the end
            else:
                self.playhead.set_following(False)
            self._restart_timer()
        else:
            self._timer.stop()

    def _restart_timer(self) -> None:
        if self.play.isChecked():
            self._timer.start(int(1000 / self.speed.currentData()))

    def _advance(self) -> None:
        if self.playhead.step >= self.playhead.step_count() - 1:
            if not self.status.busy:
                self.play.setChecked(False)  # the end of a finished run
            return
        self.playhead.set_step(self.playhead.step + 1)

    def _slider_moved(self, value: int) -> None:
        if value != self.playhead.step:
            self.playhead.set_step(value)

    def _steps_changed(self, count: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.blockSignals(False)
        self.slider.setEnabled(count > 1)
        for widget in (self.back, self.forward, self.play):
            widget.setEnabled(count > 1)
        self._sync(self.playhead.step)

    def _sync(self, step: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(step)
        self.slider.blockSignals(False)
        event = self.view.current_step_event()
        if event is None:
            self.info.setText("No steps yet")
            return
        total = self.view.trajectory.total_steps or event.total
        if event.total == 1 and event.sigma == 0:
            texts = ("Step 1 / 1   one-pass decode", "Step 1 / 1")
        else:
            texts = (f"Step {event.index + 1} / {total}   t = {event.timestep:g}   σ = {event.sigma:.3g}",
                     f"{event.index + 1} / {total}  σ {event.sigma:.3g}", f"{event.index + 1} / {total}")
        # the longest text that fits: a narrow window drops t, then σ, never cuts a number in half
        room = self.info.width()
        metrics = self.info.fontMetrics()
        text = next((t for t in texts if metrics.horizontalAdvance(t) <= room), texts[-1])
        self.info.setText(text)
        self.info.setToolTip(texts[0])

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._sync(self.playhead.step)  # the step text's room changed

    def _sync_live(self, following: bool) -> None:
        self.live.blockSignals(True)
        self.live.setChecked(following)
        self.live.blockSignals(False)
        self.live.setVisible(self.status.state.live)
