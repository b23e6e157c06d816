"""The run's state as the window shows it: what the engine is doing, progress, the error on
show and the model status. No widgets, no torch; the progress bar, the buttons and the banner
bind to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QObject, Signal

from engine.kinds import ErrorKind


class RunState(str, Enum):
    """What the window's engine is doing. A str Enum printing as its word (logs, tests)."""

    STARTING = "starting"  # the engine is being imported; no models yet
    IDLE = "idle"
    LOADING = "loading"  # a run was asked for; the model is loading
    RUNNING = "running"
    CANCELLING = "cancelling"  # asked to stop; stops at the next step

    def __str__(self) -> str:
        return self.value

    @property
    def busy(self) -> bool:
        """A run is going (or stopping): its events still arrive."""
        return self in (RunState.LOADING, RunState.RUNNING, RunState.CANCELLING)

    @property
    def live(self) -> bool:
        """New steps are arriving: the timeline can follow them."""
        return self in (RunState.LOADING, RunState.RUNNING)


@dataclass(frozen=True)
class Progress:
    step: int = 0  # steps done
    total: int = 0
    elapsed_s: float = 0.0
    eta_s: float | None = None


class RunStatus(QObject):
    stateChanged = Signal(object)  # RunState
    progressChanged = Signal()
    errorChanged = Signal()
    modelStatusChanged = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.state = RunState.STARTING
        self.progress = Progress()
        self.error: tuple[ErrorKind, str] | None = None  # (kind, message)
        self.model_status = "Starting the engine…"
        self.loaded_model: str | None = None  # the model the engine has in memory

    @property
    def busy(self) -> bool:
        return self.state.busy

    def set_state(self, state: RunState) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    def set_progress(self, progress: Progress) -> None:
        self.progress = progress
        self.progressChanged.emit()

    def set_model_status(self, text: str, loaded: str | None = None) -> None:
        self.model_status = text
        if loaded is not None:
            self.loaded_model = loaded
        self.modelStatusChanged.emit(text)

    def set_error(self, kind: ErrorKind | str, message: str) -> None:
        """Show an error; a kind word from elsewhere (a stored row, an old caller) becomes an ErrorKind."""
        self.error = (kind if isinstance(kind, ErrorKind) else ErrorKind.of(kind), message)
        self.errorChanged.emit()

    def clear_error(self) -> None:
        if self.error is not None:
            self.error = None
            self.errorChanged.emit()
