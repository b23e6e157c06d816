""""Decode this step": the viewer asks, the engine worker decodes, the viewer shows.

The viewer's decodeStepRequested(step) starts one task that awaits the adapter's `call` job:
on the worker, engine.step_decode loads the run's model through the shared ModelCache and runs
its VAE on the step's kept latents. The GUI thread only awaits. The result lands in the x0 pane
(viewer.show_decoded) if the same run is still on screen; a failure (no latents, model missing,
out of memory) goes to the banner, never as a traceback.
"""

from __future__ import annotations

import logging
from functools import partial

from PySide6.QtCore import QObject

from engine.errors import NoisescopeError
from engine.kinds import ErrorKind
from engine.trajectory import Trajectory
from gui.engine_adapter import EngineAdapter
from gui.image_viewer import ViewerPanel
from gui.run_state import RunStatus
from gui.tasks import TaskKeeper

log = logging.getLogger(__name__)


def decode_on_worker(trajectory: Trajectory, step: int, cache):
    """Runs on the engine worker: the runtime (torch) is imported there, never on the GUI thread."""
    from engine.step_decode import decode_recorded_step

    return decode_recorded_step(trajectory, step, cache=cache)


class DecodeWiring(QObject):
    def __init__(self, viewer: ViewerPanel, status: RunStatus, adapter: EngineAdapter,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.viewer, self.status, self.adapter = viewer, status, adapter
        self.tasks = TaskKeeper(self._task_failed)  # Studio.task_keepers() cancels it at exit
        self.pending: tuple[Trajectory, int] | None = None  # the decode being waited for
        viewer.decodeStepRequested.connect(self.decode)

    def decode(self, step: int) -> None:
        trajectory = self.viewer.view.trajectory
        if trajectory is None or self._is_pending(trajectory, step):
            return  # nothing shown, or this very decode is under way (a double click)
        self.pending = (trajectory, step)
        self._busy(True)
        self.tasks.spawn(self._decode(trajectory, step), name="decode-step")

    async def _decode(self, trajectory: Trajectory, step: int) -> None:
        try:
            images = await self.adapter.call(partial(decode_on_worker, trajectory, step))
        except NoisescopeError as exc:
            self.status.set_error(exc.kind, exc.message)
            return
        finally:
            if self._is_pending(trajectory, step):
                self.pending = None
                self._busy(False)
        if self.viewer.view.trajectory is trajectory:  # another run on screen since: not its pixels
            self.viewer.show_decoded(step, images)

    def _is_pending(self, trajectory: Trajectory, step: int) -> bool:
        # by identity: a Trajectory's == would compare every step's arrays
        return self.pending is not None and self.pending[0] is trajectory and self.pending[1] == step

    def _busy(self, busy: bool) -> None:
        button = self.viewer.decode_button
        button.setEnabled(not busy)
        button.setText("Decoding…" if busy else "Decode this step")

    def _task_failed(self, exc: BaseException) -> None:
        self.status.set_error(ErrorKind.INTERNAL, f"the step could not be decoded: {type(exc).__name__}: {exc}")
