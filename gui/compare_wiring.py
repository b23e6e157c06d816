"""Compare in the window: the gallery's "Compare" opens 2 to 4 runs in a comparison window, and
Run > A/B… runs the form's recipe and a copy with one setting changed, then opens the pair
(gui/ab_compare.py).

The runs' kept trajectories are read on the disk thread (as the gallery's Open does), checked and
aligned there (engine.compare.runs and .alignment); a run that cannot be compared gets one clear
line in the gallery and the banner, never a traceback. The comparison's frames are made on a
worker thread of its own, so a long export on the disk thread never holds up the scrubbing, and
exports go back to the disk thread. Its tasks have their own TaskKeeper: a failure here never
touches a run going on.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from engine.compare.options import CompareOptions
from engine.compare.runs import CompareRun
from engine.errors import CompareError, InvalidRecipe, NoisescopeError
from engine.kinds import ErrorKind
from gui.disk_worker import DiskWorker
from gui.history_wiring import HistoryWiring
from gui.tasks import TaskKeeper
from gui.view_model import ViewModel

log = logging.getLogger(__name__)


class CompareWiring(QObject):
    opened = Signal(object)  # the CompareView shown

    def __init__(self, window: QMainWindow, vm: ViewModel, history: HistoryWiring, disk: DiskWorker, controller=None):
        super().__init__(window)
        self.window, self.vm, self.history, self.disk = window, vm, history, disk
        self.tasks = TaskKeeper(self._task_failed)
        self.worker = DiskWorker("noisescope-compare")  # frames only: never behind an export
        self.views: list = []  # the comparison windows open now
        self.controller, self.ab_dialog, self.ab_run = controller, None, None
        self.ab_action = QAction("&A/B…", window)
        self.ab_action.setStatusTip("Run the recipe and a copy with one setting changed (same seed), side by side")
        self.ab_action.triggered.connect(self.open_ab)
        run_menu = next((a.menu() for a in window.menuBar().actions() if a.text() == "&Run"), None)
        if run_menu is not None and controller is not None:
            run_menu.addAction(self.ab_action)
        history.ready.connect(self._attach)
        if history.gallery is not None:
            self._attach()
        window.closing.connect(self.close)

    def _attach(self) -> None:
        self.history.gallery.set_on_compare(self.compare_runs)

    # -- opening ---------------------------------------------------------------------------
    def compare_runs(self, run_ids: Sequence[int]):
        """Open these history runs side by side (A is the first); returns the task."""
        return self.tasks.spawn(self._compare(list(run_ids)), name="compare-open")

    async def _compare(self, run_ids: list[int]) -> None:
        gallery = self.history.gallery
        gallery.message.setText(f"Opening {len(run_ids)} runs to compare…")
        try:
            runs, alignment, notes = await self.disk.submit(load_for_compare, self.history.history, run_ids)
        except NoisescopeError as exc:
            gallery.message.setText(f"Cannot compare: {exc.message}")
            self.vm.status.set_error(exc.kind, f"the runs cannot be compared: {exc.message}")
            return
        gallery.message.setText("")
        self.open_view(runs, alignment, notes)

    def open_view(self, runs, alignment, notes):
        from gui.compare_view import CompareView

        view = CompareView(runs, alignment, notes, self.worker, self.tasks, self._export, parent=self.window)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view.destroyed.connect(lambda *_: self._forget(view))
        self.views.append(view)
        view.show()
        self.opened.emit(view)
        return view

    def _forget(self, view) -> None:
        if view in self.views:
            self.views.remove(view)

    # -- A/B -------------------------------------------------------------------------------
    def open_ab(self) -> None:
        from gui.ab_compare import ABDialog

        try:
            recipe = self.vm.form.build_recipe()
        except InvalidRecipe as exc:
            self.vm.status.set_error(exc.kind, exc.message)
            return
        self.ab_dialog = ABDialog(recipe, self.vm.form.model_info(recipe.model),
                                  lambda b: self.run_ab(recipe, b), self.window)
        self.ab_dialog.open()  # non-blocking: a run going on goes on

    def run_ab(self, a, b):
        """Run A then B (the controller's queue), then open them side by side; returns the ABRun."""
        from gui.ab_compare import ABRun

        self.window.statusBar().showMessage("A/B: running A, then B…", 10_000)
        self.ab_run = ABRun(self.vm, self.controller, a, b, self._ab_done,
                            lambda text: self.window.statusBar().showMessage(text, 15_000), self)
        return self.ab_run

    def _ab_done(self, a, b) -> None:
        from engine.recipe_fields import field
        from gui.ab_compare import SETTINGS

        changed = [f"{field(n).label.lower()} {field(n).to_text(getattr(b.recipe, n))}" for n in SETTINGS
                   if getattr(a.recipe, n) != getattr(b.recipe, n)]
        runs = [CompareRun(a, "the form's recipe"), CompareRun(b, "with " + ", ".join(changed))]
        self.tasks.spawn(self._open_pair(runs), name="compare-ab")

    async def _open_pair(self, runs) -> None:
        try:
            alignment, notes = await self.worker.submit(_check_and_align, runs)
        except NoisescopeError as exc:
            self.vm.status.set_error(exc.kind, f"A and B cannot be compared: {exc.message}")
            return
        self.open_view(runs, alignment, notes)

    # -- exports ---------------------------------------------------------------------------
    def _export(self, runs: Sequence[CompareRun], folder: Path, formats: tuple[str, ...], options: CompareOptions):
        return self.disk.submit(_export_job, list(runs), Path(folder), formats, options)

    # -- plumbing --------------------------------------------------------------------------
    def _task_failed(self, exc: BaseException) -> None:
        self.vm.status.set_error(ErrorKind.INTERNAL, f"unexpected error in the comparison: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        for view in list(self.views):
            view.close()
        self.tasks.cancel_all()
        self.worker.close()  # a frame being made (milliseconds) finishes first


def load_for_compare(history, run_ids: Sequence[int]):
    """On the disk thread: each run's kept trajectory, checked and aligned by noise level.
    CompareError saying which run cannot be compared and why."""
    from engine.compare.alignment import align
    from engine.compare.runs import check_runs
    from gui.gallery_panel import load_run

    runs = []
    for run_id in run_ids:
        record, trajectory = load_run(history, run_id)
        if record is None:
            raise CompareError(f"run {run_id} is no longer in the history")
        if trajectory is None:
            why = (f"its trajectory file {record.trajectory_path} is gone or unreadable" if record.trajectory_path
                   else "its steps were not kept (too many to keep)")
            raise CompareError(f"run {run_id}: {why}; export its trajectory (File > Export) or generate it again "
                               "to compare it")
        runs.append(CompareRun(trajectory, f"#{run_id} {record.model}"))
    notes = check_runs(runs)
    return runs, align([run.trajectory for run in runs], "sigma"), notes


def _check_and_align(runs: list[CompareRun]):
    from engine.compare.alignment import align
    from engine.compare.runs import check_runs

    notes = check_runs(runs)
    return align([run.trajectory for run in runs], "sigma"), notes


def _export_job(runs: list[CompareRun], folder: Path, formats: tuple[str, ...], options: CompareOptions):
    """On the disk thread: the comparison's files, each written atomically; their paths."""
    from engine.compare.export import export_comparison
    from engine.errors import ExportError
    from engine.export.plan import check_output_folder

    try:
        check_output_folder(folder)
        return export_comparison(runs, folder, formats, options).files
    except OSError as exc:  # outside the atomic writes (they explain their own)
        full = exc.errno == errno.ENOSPC
        raise ExportError(f"cannot write to {folder}: " + ("the disk is full; free some space or choose another "
                          "folder" if full else f"{exc.strerror or exc}")) from None
