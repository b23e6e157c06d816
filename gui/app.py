"""Startup: the window first, the engine behind it.

The window is shown before torch is even imported; the worker thread then imports the engine,
finds the models and preloads the default (or last used) one, while the window shows that it
is loading. asyncio runs inside the Qt loop (qasync) for orchestration.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from gui.branch_action import BranchAction
from gui.compare_wiring import CompareWiring
from gui.decode_wiring import DecodeWiring
from gui.disk_worker import DiskWorker
from gui.drawing_wiring import DrawingWiring
from gui.engine_adapter import EngineAdapter
from gui.export_actions import ExportActions
from gui.families_wiring import FamiliesWiring
from gui.history_wiring import HistoryWiring
from gui.interpolate_wiring import InterpolateWiring
from gui.latent_map_wiring import LatentMapWiring, add_latent_map
from gui.main_window import MainWindow
from gui.run_controller import RunController
from gui.run_plots import RunPlots, add_run_plots
from gui.settings_store import SettingsStore
from gui.style import apply_theme
from gui.sweep_wiring import SweepWiring
from gui.view_model import ViewModel

log = logging.getLogger(__name__)


@dataclass
class Studio:
    """Everything one window needs, wired together (the app, tests and the bench build it)."""

    view_model: ViewModel
    adapter: EngineAdapter
    controller: RunController
    window: MainWindow
    store: SettingsStore
    history: HistoryWiring | None = None  # the gallery, recording runs, opening and dropping files
    exports: ExportActions | None = None  # File > Export
    disk: DiskWorker | None = None  # history writes and exports, off the GUI thread
    decode: DecodeWiring | None = None  # "Decode this step", on the engine worker
    compare: CompareWiring | None = None  # the gallery's Compare: runs side by side
    branch: BranchAction | None = None  # "Branch from this step" (Run menu, timeline)
    plots: RunPlots | None = None  # the Plots dock: schedule, convergence, settled map
    families: FamiliesWiring | None = None  # the Families dock: diffusion, VAE and GAN side by side
    sweep: SweepWiring | None = None  # Run > Sweep…: the X/Y/Z grid window
    interpolate: InterpolateWiring | None = None  # Run > Interpolate…: a walk between seeds
    drawing: DrawingWiring | None = None  # the Drawing dock: your own digit, encoded or as an init image
    latent_map: LatentMapWiring | None = None  # the Latent map dock: a plane of decodes, or the seed plane
    _closed: bool = False

    def start(self) -> None:
        self.adapter.start()

    def task_keepers(self) -> list:
        """Each controller's own TaskKeeper: the run's, the history's, the export's, the decode's."""
        parts = (self.controller, self.history, self.exports, self.decode, self.compare, self.families, self.sweep,
                 self.interpolate, self.drawing, self.latent_map)
        return [keeper for keeper in (getattr(part, "tasks", None) for part in parts) if keeper is not None]

    def close(self) -> bool:
        """Save settings and stop the engine; True when the worker ended in time. Idempotent."""
        if self._closed:
            return not self.adapter.worker_alive
        self._closed = True
        self.store.save_fields(self.view_model.form.fields)
        self.store.save_window(self.window.saveGeometry(), self.window.saveState())
        self.store.sync()
        if self.history is not None:
            self.history.record_unfinished()  # a run going at quit is kept, as cancelled
        if self.compare is not None:
            self.compare.close()  # its windows and its frame worker
        if self.families is not None:
            self.families.close()  # its runs: cancelled before the engine stops
        if self.sweep is not None:
            self.sweep.close()  # its cells stop at their next step, before the engine stops
        if self.interpolate is not None:
            self.interpolate.close()  # its frame stops at its next step, before the engine stops
        stopped = self.controller.shutdown()
        for keeper in self.task_keepers():
            keeper.cancel_all()
        if self.disk is not None:
            self.disk.close()  # waits for the history writes and exports already asked for
        if self.history is not None:
            self.history.close()
        return stopped


def build_studio(settings: QSettings | None = None) -> Studio:
    store = SettingsStore(settings)
    vm = ViewModel()
    vm.form.restore_fields(store.load_fields())
    adapter = EngineAdapter()
    controller = RunController(vm, adapter)
    window = MainWindow(vm)
    window.controls.generateRequested.connect(controller.generate)
    window.controls.cancelRequested.connect(controller.cancel)
    disk = DiskWorker()
    history = HistoryWiring(window, vm, controller, disk)  # before restoreState: the Gallery dock
    plots = add_run_plots(window, vm)  # before restoreState too: the Plots dock, hidden at first
    families = FamiliesWiring(window, vm, adapter, disk, history)  # before restoreState: the Families dock, hidden at first
    exports = ExportActions(window, vm, disk, history)
    drawing = DrawingWiring(window, vm, adapter, disk)  # before restoreState: the Drawing dock, hidden at first
    latent_map = add_latent_map(window, vm, adapter, controller)  # before restoreState: hidden at first
    geometry, state = store.load_window()
    if geometry is not None:
        window.restoreGeometry(geometry)
    if state is not None:
        window.restoreState(state)
    decode = DecodeWiring(window.viewer, vm.status, adapter)
    studio = Studio(vm, adapter, controller, window, store, history, exports, disk, decode)
    studio.compare = CompareWiring(window, vm, history, disk, controller)
    studio.branch = BranchAction(window, vm, controller, history)
    studio.plots = plots
    studio.families = families
    studio.sweep = SweepWiring(window, vm, adapter, history, disk, store.settings)
    studio.interpolate = InterpolateWiring(window, vm, adapter, disk, history)
    studio.drawing = drawing
    studio.latent_map = latent_map
    drawing.latent_map_view = lambda: getattr(getattr(studio, "latent_map", None), "view", None)
    window.closing.connect(studio.close)
    return studio


def main(argv: list[str] | None = None, fast_exit: bool = True) -> int:
    """Run the window until it closes. With fast_exit (the `noisescope` command), the process
    ends as soon as the engine is stopped and settings are saved: tearing down torch and
    diffusers module by module takes seconds and has nothing left to save."""
    import qasync

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(["noisescope", *(argv or [])])
    app.setApplicationName("Noisescope")
    app.setOrganizationName("Noisescope")
    apply_theme(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    studio = build_studio()
    app.aboutToQuit.connect(studio.close)  # also on Ctrl+Q / session end, not only window close
    studio.window.show()
    studio.start()
    _quit_on_signals(app)
    with loop:
        loop.run_forever()
    if fast_exit:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


def _quit_on_signals(app: QApplication) -> None:
    """Ctrl+C or SIGTERM close the window properly (engine stopped, settings saved)."""
    import signal

    from PySide6.QtCore import QTimer

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.closeAllWindows())
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)  # lets Python run its signal handlers while Qt waits
    timer.start(200)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
