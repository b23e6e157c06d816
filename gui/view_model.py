"""The view-model: the observable state every widget binds to. No widgets, no torch.

It holds the recipe being edited, the catalog (models, samplers), the run state, progress,
the current error and the trajectory with the step/view/focus being looked at. Engine events
come in through `on_event`; every Step is recorded in the trajectory, while the `displayChanged`
and `progressChanged` signals are coalesced to at most one per frame (~60 Hz), so a fast engine
never floods the screen. Lifecycle events always update the state at once.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

FRAME_INTERVAL_MS = 16  # at most one repaint per screen refresh
VIEWS = ("x_t", "x0", "noise")
STARTING, IDLE, LOADING, RUNNING, CANCELLING = "starting", "idle", "loading", "running", "cancelling"
SEED_RANGE = 2**32  # new seeds stay short enough to read and type
MAX_STEPS, MAX_BATCH = 1000, 64  # the window's limits (the engine allows larger batches)
MAX_SEED = 2**63 - 1 - 256  # engine.recipe.MAX_SEED; this module imports no engine at load


@dataclass
class Fields:
    """The recipe as the person is editing it (may not fit the model yet)."""

    model: str = ""
    sampler: str = "dpmpp_2m"
    steps: int = 30
    seed: int = 0
    seed_locked: bool = False
    batch: int = 4
    guidance: float = 3.0
    eta: float = 0.0
    label: str | None = None  # a class name, or None


@dataclass(frozen=True)
class Capabilities:
    """Which controls apply to the chosen model and sampler."""

    sampler: bool = True  # sampler and steps (diffusion only)
    eta: bool = False  # samplers that use eta
    labels: tuple[str, ...] = ()  # class names; empty: no label control
    label_optional: bool = True  # "none" offered
    guidance_visible: bool = False  # the model does classifier-free guidance
    guidance: bool = False  # ... and a label is chosen


@dataclass(frozen=True)
class Progress:
    step: int = 0  # steps done
    total: int = 0
    elapsed_s: float = 0.0
    eta_s: float | None = None


class ViewModel(QObject):
    catalogChanged = Signal()
    fieldsChanged = Signal()
    runStateChanged = Signal(str)
    modelStatusChanged = Signal(str)
    progressChanged = Signal()
    errorChanged = Signal()
    trajectoryReset = Signal()
    stepsChanged = Signal(int)  # number of recorded steps
    currentStepChanged = Signal(int)
    followingChanged = Signal(bool)
    viewsChanged = Signal()
    focusChanged = Signal(object)  # int | None
    displayChanged = Signal()  # repaint the viewer (coalesced)
    runEnded = Signal(object)  # the Trajectory of a run that ended (finished, cancelled or failed)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.models: list = []  # ModelInfo
        self.samplers: list = []  # SamplerSpec
        self.fields = Fields()
        self.run_state = STARTING
        self.model_status = "Starting the engine…"
        self.loaded_model: str | None = None
        self.progress = Progress()
        self.error: tuple[str, str] | None = None  # (kind, message)
        self.trajectory = None  # engine.trajectory.Trajectory
        self.last_recipe = None
        self.current_step = 0
        self.following = True
        self.views = {view: True for view in VIEWS}
        self.focus: int | None = None
        self._run_started = 0.0
        self._last_flush = 0.0
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self._flush)
        self._dirty_display = self._dirty_progress = False

    # -- catalog and fields ---------------------------------------------------------------

    def set_catalog(self, models: list, samplers: list, default_model: str | None) -> None:
        self.models, self.samplers = list(models), list(samplers)
        if self.model_info(self.fields.model) is None and default_model:
            self.fields.model = default_model
        self._normalise()
        if self.run_state == STARTING:
            self.set_run_state(IDLE)
        self.catalogChanged.emit()
        self.fieldsChanged.emit()

    def model_info(self, name: str | None = None):
        name = self.fields.model if name is None else name
        return next((m for m in self.models if m.name == name), None)

    def sampler_spec(self, sampler_id: str | None = None):
        sampler_id = self.fields.sampler if sampler_id is None else sampler_id
        return next((s for s in self.samplers if s.id == sampler_id), None)

    def capabilities(self) -> Capabilities:
        info = self.model_info()
        if info is None:
            return Capabilities(sampler=False)
        diffusion = info.family == "diffusion"
        spec = self.sampler_spec()
        return Capabilities(
            sampler=diffusion,
            eta=diffusion and bool(spec and spec.uses_eta),
            labels=tuple(info.labels or ()),
            label_optional=not info.requires_label,
            guidance_visible=info.supports_guidance,
            guidance=info.supports_guidance and self.fields.label is not None,
        )

    def set_field(self, name: str, value: Any) -> None:
        if getattr(self.fields, name) == value:
            return
        setattr(self.fields, name, value)
        self._normalise()
        self.fieldsChanged.emit()

    def restore_fields(self, saved: dict) -> None:
        for name, value in saved.items():
            if hasattr(self.fields, name):
                setattr(self.fields, name, value)
        self._normalise()
        self.fieldsChanged.emit()

    def new_seed(self) -> None:
        self.set_field("seed", random.randrange(SEED_RANGE))

    def _normalise(self) -> None:
        """Keep the fields in range and consistent with the model (a label it has, a sampler
        that exists), whatever a settings file or a caller put there."""
        f = self.fields
        f.steps, f.batch = min(max(f.steps, 1), MAX_STEPS), min(max(f.batch, 1), MAX_BATCH)
        f.seed = min(max(f.seed, 0), MAX_SEED)
        f.guidance, f.eta = min(max(f.guidance, 0.0), 30.0), min(max(f.eta, 0.0), 1.0)
        info = self.model_info()
        if info is None:
            return
        labels = info.labels or ()
        if self.fields.label not in labels:
            self.fields.label = None
        if self.fields.label is None and info.requires_label and labels:
            self.fields.label = labels[0]
        if self.samplers and self.sampler_spec() is None:
            self.fields.sampler = self.samplers[0].id

    def build_recipe(self):
        """The Recipe for Generate; raises InvalidRecipe with a message a person understands."""
        from engine.recipe import DEFAULT_GUIDANCE, Recipe
        from engine.samplers.registry import NO_SAMPLER

        f, caps = self.fields, self.capabilities()
        if self.model_info() is None:
            from engine.errors import InvalidRecipe

            raise InvalidRecipe("no model is chosen: add a model to the models folder, then pick it")
        return Recipe(
            model=f.model,
            sampler=f.sampler if caps.sampler else NO_SAMPLER,
            steps=f.steps if caps.sampler else 1,
            seed=f.seed,
            batch=f.batch,
            guidance=f.guidance if caps.guidance else DEFAULT_GUIDANCE,
            eta=f.eta if caps.eta else 0.0,
            label=f.label,
        )

    # -- run state ------------------------------------------------------------------------

    def set_run_state(self, state: str) -> None:
        if state != self.run_state:
            self.run_state = state
            self.runStateChanged.emit(state)

    @property
    def busy(self) -> bool:
        return self.run_state in (LOADING, RUNNING, CANCELLING)

    def set_model_status(self, text: str, loaded: str | None = None) -> None:
        self.model_status = text
        if loaded is not None:
            self.loaded_model = loaded
        self.modelStatusChanged.emit(text)

    def set_error(self, kind: str, message: str) -> None:
        self.error = (kind, message)
        self.errorChanged.emit()

    def clear_error(self) -> None:
        if self.error is not None:
            self.error = None
            self.errorChanged.emit()

    def begin_run(self, recipe) -> None:
        from engine.trajectory import Trajectory

        self.last_recipe = recipe
        self.trajectory = Trajectory()
        self.progress = Progress(0, recipe.steps, 0.0, None)
        self.current_step = 0
        if self.focus is not None and self.focus >= recipe.batch:
            self.set_focus(None)  # the focused sample is not in the new batch
        self._run_started = time.perf_counter()
        self.set_following(True)
        self.clear_error()
        self.set_run_state(LOADING)
        self.trajectoryReset.emit()
        self.progressChanged.emit()
        self.stepsChanged.emit(0)

    def on_event(self, event: Any) -> None:
        """Every engine event of the current run, in order, on the GUI thread."""
        kind = type(event).__name__
        if self.trajectory is None:
            return
        self.trajectory.record(event)
        if kind == "Step":
            elapsed = time.perf_counter() - self._run_started
            done = event.index + 1
            eta = event.elapsed_s / done * (event.total - done)  # engine time: excludes model loading
            self.progress = Progress(done, event.total, elapsed, eta)
            if self.following:
                self.current_step = len(self.trajectory) - 1
            self._dirty_progress = True
            self._dirty_display = self._dirty_display or self.following
            self._schedule_flush()
            return
        self._flush()  # lifecycle: show the last frames now, then change state
        if kind == "Started":
            self.progress = Progress(0, event.total_steps, time.perf_counter() - self._run_started, None)
            if self.run_state == LOADING:
                self.set_run_state(RUNNING)
            self.set_model_status(f"{event.model_name} on {event.device} ({event.dtype})", event.model_name)
            self.progressChanged.emit()
        elif kind == "Finished":
            self.progress = Progress(self.progress.total, self.progress.total, event.duration_s, 0.0)
            self.progressChanged.emit()
        elif kind == "Failed":
            self.set_error(event.kind, event.message)

    def end_run(self) -> None:
        self._flush()
        self.set_run_state(IDLE)
        if self.trajectory is not None:
            self.runEnded.emit(self.trajectory)  # for history, gallery and exports

    def show_trajectory(self, trajectory) -> bool:
        """Show a recorded run (from the gallery or a trajectory file) for scrubbing, without
        its model. Refused (False) while a run is going: its events record into the trajectory
        on screen."""
        if self.busy or trajectory is None:
            return False
        self.trajectory, self.last_recipe = trajectory, trajectory.recipe
        count = len(trajectory)
        done = count if trajectory.outcome != "finished" else max(count, trajectory.total_steps)
        self.progress = Progress(done, max(done, trajectory.total_steps), trajectory.duration_s, 0.0)
        self.current_step = max(0, count - 1)
        if self.focus is not None and self.focus >= trajectory.batch:
            self.set_focus(None)
        self.set_following(False)
        self.clear_error()
        self.trajectoryReset.emit()
        self.progressChanged.emit()
        self.stepsChanged.emit(count)
        self.currentStepChanged.emit(self.current_step)
        self.displayChanged.emit()
        return True

    # -- what is being looked at ----------------------------------------------------------

    def step_count(self) -> int:
        return len(self.trajectory) if self.trajectory is not None else 0

    def set_current_step(self, step: int, by_person: bool = True) -> None:
        count = self.step_count()
        if count == 0:
            return
        step = max(0, min(step, count - 1))
        if by_person:
            # grabbing the timeline stops following; going back to the newest step resumes it
            self.set_following(step == count - 1 and self.run_state in (LOADING, RUNNING))
        if step != self.current_step:
            self.current_step = step
            self.currentStepChanged.emit(step)
            self.displayChanged.emit()

    def set_following(self, following: bool) -> None:
        if following != self.following:
            self.following = following
            self.followingChanged.emit(following)
            if following and self.step_count():
                self.set_current_step(self.step_count() - 1, by_person=False)

    def set_view_visible(self, view: str, visible: bool) -> None:
        if self.views[view] != visible:
            self.views[view] = visible
            self.viewsChanged.emit()
            self.displayChanged.emit()

    def set_focus(self, index: int | None) -> None:
        if index != self.focus:
            self.focus = index
            self.focusChanged.emit(index)
            self.displayChanged.emit()

    def toggle_focus(self, index: int | None) -> None:
        self.set_focus(None if self.focus is not None else index)

    def frame(self, view: str):
        """(B, H, W, C) uint8 of the current step and view, or None."""
        if not self.step_count():
            return None
        return self.trajectory.frame(min(self.current_step, self.step_count() - 1), view)

    def current_step_event(self):
        if not self.step_count():
            return None
        return self.trajectory.steps[min(self.current_step, self.step_count() - 1)]

    # -- coalescing -------------------------------------------------------------------------

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
            self.progressChanged.emit()
            self.stepsChanged.emit(self.step_count())
        if self._dirty_display:
            self._dirty_display = False
            self.currentStepChanged.emit(self.current_step)
            self.displayChanged.emit()
