"""The window's state, in four parts, and the one place engine events come in.

    form      RecipeForm      the recipe being edited, the catalog and which controls apply
    status    RunStatus       run state, progress, the error on show, the model status
    view      TrajectoryView  the run on screen (live or opened) and what of it is shown
    playhead  Playhead        the step being looked at; shared by every TrajectoryView on screen

Widgets bind to the part they show. Engine events come in through `on_event`: every Step is
recorded in the trajectory, while repaints and progress are coalesced to at most one per frame
(~60 Hz), so a fast engine never floods the screen; lifecycle events apply at once.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from engine import config_file
from engine.events import Cancelled, Event, Failed, Finished, Started, Step
from engine.kinds import ErrorKind, Outcome
from engine.trajectory import Trajectory
from gui.recipe_form import RecipeForm
from gui.run_state import Progress, RunState, RunStatus
from gui.trajectory_view import Playhead, TrajectoryView

FRAME_INTERVAL_MS = 16  # at most one repaint per screen refresh


class ViewModel(QObject):
    runEnded = Signal(object)  # the Trajectory of a run that ended (finished, cancelled or failed)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.form = RecipeForm(self)
        self.status = RunStatus(self)
        self.playhead = Playhead(self)
        self.view = TrajectoryView(self.playhead, self)  # the live run, or a run opened for scrubbing
        self.form.catalogChanged.connect(self._catalog_arrived)
        self.form.problem.connect(lambda message: self.status.set_error(ErrorKind.INVALID_RECIPE, message))
        self._run_started = 0.0
        self._last_flush = 0.0
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self._flush)
        self._dirty_display = self._dirty_progress = False
        # Shortcuts kept for the export wiring (gui/export_actions.py); new code binds to the parts.
        self.runStateChanged = self.status.stateChanged
        self.stepsChanged = self.view.stepsChanged
        self.trajectoryReset = self.view.trajectoryReset

    @property
    def trajectory(self) -> Trajectory | None:
        return self.view.trajectory

    @property
    def busy(self) -> bool:
        return self.status.busy

    @property
    def focus(self) -> int | None:
        return self.view.focus

    def model_info(self, name: str | None = None):
        return self.form.model_info(name)

    def set_error(self, kind: ErrorKind | str, message: str) -> None:
        self.status.set_error(kind, message)

    # -- a run --------------------------------------------------------------------------------

    def begin_run(self, recipe) -> None:
        """A run was asked for: an empty trajectory on screen, following its newest step."""
        self._run_started = time.perf_counter()
        self.status.clear_error()
        self.status.set_state(RunState.LOADING)
        self.playhead.live = True
        # The settings file's preview budget: past it only every k-th step's previews are kept (and said).
        self.view.set_trajectory(Trajectory(recipe=recipe, preview_budget=config_file.preview_budget()))
        self.playhead.reset(0, following=True)
        self.status.set_progress(Progress(0, recipe.steps, 0.0, None))

    def on_event(self, event: Event) -> None:
        """Every engine event of the current run, in order, on the GUI thread."""
        trajectory = self.view.trajectory
        if trajectory is None:
            return
        trajectory.record(event)
        if isinstance(event, Step):
            elapsed = time.perf_counter() - self._run_started
            done = event.index + 1
            eta = event.elapsed_s / done * (event.total - done)  # engine time: excludes model loading
            self.status.progress = Progress(done, event.total, elapsed, eta)
            self._dirty_progress = True
            self._dirty_display = self._dirty_display or self.playhead.following
            self._schedule_flush()
            return
        self._flush()  # lifecycle: show the last frames now, then change state
        if isinstance(event, Started):
            if self.status.state == RunState.LOADING:
                self.status.set_state(RunState.RUNNING)
            self.status.set_model_status(f"{event.model_name} on {event.device} ({event.dtype})", event.model_name)
            self.status.set_progress(Progress(0, event.total_steps, time.perf_counter() - self._run_started, None))
        elif isinstance(event, Finished):
            total = self.status.progress.total
            self.status.set_progress(Progress(total, total, event.duration_s, 0.0))
        elif isinstance(event, Cancelled):
            # the engine says nothing of a cancelled run's time: the last step's engine time, so
            # the gallery shows how long it ran (not 0 s)
            trajectory.duration_s = trajectory.steps[-1].elapsed_s if trajectory.steps else 0.0
        elif isinstance(event, Failed):
            self.status.set_error(event.kind, event.message)

    def end_run(self) -> None:
        self._flush()
        self.playhead.live = False
        self.status.set_state(RunState.IDLE)
        if self.view.trajectory is not None:
            self.runEnded.emit(self.view.trajectory)  # for history, gallery and exports

    def cancel_requested(self) -> bool:
        """Cancelling: True when a run was live (loading or running) and now stops."""
        if not self.status.state.live:
            return False
        self.status.set_state(RunState.CANCELLING)
        self.playhead.live = False  # no more steps to follow
        return True

    def show_trajectory(self, trajectory: Trajectory | None, source: str = "dropped file") -> bool:
        """Show a recorded run (from the gallery or a trajectory file) for scrubbing, without
        its model; `source` says where it came from (the viewer shows it). Refused (False) while
        a run is going: its events record into the trajectory on screen."""
        if self.status.busy or trajectory is None:
            return False
        count = len(trajectory)
        done = count if trajectory.outcome != Outcome.FINISHED else max(count, trajectory.total_steps)
        self.status.clear_error()
        self.view.set_trajectory(trajectory, source)
        self.playhead.reset(max(0, count - 1), following=False)
        self.status.set_progress(Progress(done, max(done, trajectory.total_steps), trajectory.duration_s, 0.0))
        self.view.displayChanged.emit()
        return True

    def _catalog_arrived(self) -> None:
        if self.status.state == RunState.STARTING:
            self.status.set_state(RunState.IDLE)

    # -- coalescing -----------------------------------------------------------------------------

    def _schedule_flush(self) -> None:
        if self._flush_timer.isActive():
            return
        wait_ms = FRAME_INTERVAL_MS - (time.perf_counter() - self._last_flush) * 1000
        if wait_ms <= 0:
            self._flush()  # the screen is idle: show this frame now
        else:
            self._flush_timer.start(max(1, int(wait_ms)))

    def _flush(self) -> None:
        self._flush_timer.stop()
        self._last_flush = time.perf_counter()
        if self._dirty_progress:
            self._dirty_progress = False
            self.status.progressChanged.emit()
            self.view.stepsChanged.emit(len(self.view))
        if self._dirty_display:
            self._dirty_display = False
            newest = len(self.view) - 1
            if self.playhead.following and newest != self.playhead.step:
                self.playhead.set_step(newest, by_person=False)  # repaints every view on it
            else:
                self.view.displayChanged.emit()
