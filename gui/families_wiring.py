"""The families side by side in the window: Run > Families side by side (and the view's own button)
runs one diffusion model, one VAE and one GAN on the same label and seeds, one after another, on
the engine thread (EngineAdapter.run, as Generate does), and the Families view shows them as they
arrive. The plan (engine/families/plan.py: which models, checks) and the model cards' figures
(engine/families/quality.py) are read on the disk thread; the GUI thread only awaits.

Its tasks have their own TaskKeeper: a failure here never marks the main run idle. Each family's run
is recorded in the history as an ordinary run of its own recipe, the three as one group "families"
(gui/group_records.py): a run cancelled midway as the steps it made, as a cancelled Generate is.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from engine.errors import InvalidRecipe, NoisescopeError
from engine.events import Cancelled, Failed, Finished, Started
from engine.kinds import ErrorKind, Family
from engine.recipe import Recipe
from engine.trajectory import Trajectory
from gui.families_view import FamiliesView
from gui.group_records import GroupRecorder, families_group, stopped
from gui.tasks import TaskKeeper

log = logging.getLogger(__name__)
DOCK_WIDTH = 420


class FamiliesWiring(QObject):
    def __init__(self, window, vm, adapter, disk, history=None):
        """history: the HistoryWiring the runs are recorded through (None: not recorded)."""
        super().__init__(window)
        self.window, self.vm, self.adapter, self.disk = window, vm, adapter, disk
        self.tasks = TaskKeeper(self._task_failed)
        self.records = GroupRecorder(history, disk, self.tasks, vm.status, "the families")
        self._closed = False
        self.task = None
        self.view = FamiliesView()
        self.dock = window.add_panel("Families", self.view, width=DOCK_WIDTH)
        gallery = window.findChild(QDockWidget, "dock-gallery")
        if gallery is not None:
            window.tabifyDockWidget(gallery, self.dock)
        self.dock.hide()  # View > Families, or Run > Families side by side, shows it
        self.dock.toggleViewAction().triggered.connect(lambda shown: shown and self.dock.raise_())
        self.action = QAction("&Families side by side", window)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.action.setStatusTip("Run diffusion, the VAE and the GAN on the same label and seeds, side by side")
        self.action.triggered.connect(self.run_families)
        window.run_menu.addAction(self.action)
        self.view.runRequested.connect(self.run_families)
        self.view.cancelRequested.connect(self.cancel)
        vm.form.catalogChanged.connect(self._catalog_changed)
        vm.form.fieldsChanged.connect(self._fields_changed)
        self._seeded = False
        self._labels_of: str | None = None  # the diffusion model whose labels the view offers

    # -- the form's choices ---------------------------------------------------------------------
    def _models(self):
        from engine.families.plan import pick_models

        return pick_models(self.vm.form.models, [self.vm.form.fields.model])

    def _catalog_changed(self) -> None:
        diffusion = self._models().get(Family.DIFFUSION)
        self._labels_of = diffusion.name if diffusion else None
        self.view.set_labels(tuple(diffusion.labels or ()) if diffusion else (), self.vm.form.fields.label)

    def _fields_changed(self) -> None:
        diffusion = self._models().get(Family.DIFFUSION)
        if (diffusion.name if diffusion else None) != self._labels_of:  # the form moved to another diffusion model
            self._catalog_changed()
        if not self._seeded and self.vm.form.models:  # the form's seed, once: then the view's own
            self._seeded = True
            self.view.first_seed.setValue(min(int(self.vm.form.fields.seed or 0), self.view.first_seed.maximum()))

    def base_recipe(self) -> Recipe:
        """The form's sampler, schedule, steps and eta when it is on a digits diffusion model; else the defaults."""
        form, label = self.vm.form, self.view.chosen_label()
        info = form.model_info()
        if info is not None and info.family == Family.DIFFUSION and not info.takes_text:
            try:
                made = form.build_recipe()
                return Recipe(sampler=made.sampler, schedule=made.schedule, steps=made.steps, eta=made.eta,
                              device=made.device, label=label)
            except InvalidRecipe:
                pass
        return Recipe(label=label)

    # -- running --------------------------------------------------------------------------------
    def run_families(self):
        """Show the view and run the three families (a run of them going on is cancelled first)."""
        self.dock.show()
        self.dock.raise_()
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task = self.tasks.spawn(self._run(self.base_recipe(), self.view.first_seed.value(),
                                               self.view.count.value(), self.task), name="families")
        return self.task

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def _run(self, base: Recipe, first_seed: int, count: int, previous) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait({previous})  # its run stops at its next step; then the engine is ours
        try:
            plan, qualities = await self.disk.submit(_plan_and_cards, base, self._models(), first_seed, count)
        except NoisescopeError as exc:
            self.vm.status.set_error(exc.kind, f"the families cannot run: {exc.message}")
            return
        self.view.start(plan, qualities)
        self.records.start(partial(families_group, plan))
        going = None  # (column index, its trajectory, its model) while its run is on the engine
        try:
            for index, (column, run) in enumerate(zip(self.view.columns, plan.runs)):
                column.state = "running"
                self.view.refresh_account()
                trajectory = Trajectory()  # the default preview budget: a big model keeps every k-th step
                column.view.set_trajectory(trajectory)
                going = (index, trajectory, run.info)
                end = await self.adapter.run(run.recipe, lambda event, c=column, t=trajectory: self._event(c, t, event))
                going = None
                self.records.record(index, trajectory, run.info)  # finished or cancelled; a failed run is not
                if not self._ended(column, end):
                    break
        except asyncio.CancelledError:
            if going is not None:  # the run going was stopped by this task: the steps it made are kept
                index, trajectory, info = going
                self.records.record(index, stopped(trajectory), info)
            for column in self.view.columns:
                if column.state in ("running", "waiting"):
                    column.state = "cancelled"
            raise
        finally:
            self.view.set_running(False)
            self.view.refresh()
            self.view.refresh_account()
            if not self._closed:
                self.tasks.spawn(self._in_gallery(), name="families-gallery")

    async def _in_gallery(self) -> None:
        group = await self.records.settled()
        if group is not None:
            self.window.statusBar().showMessage(f"The families' runs are in the Gallery as families #{group}.", 15_000)

    def _event(self, column, trajectory: Trajectory, event) -> None:
        trajectory.record(event)
        if isinstance(event, Started):
            column.recipe = event.recipe  # as run: the model's defaults (guidance) filled in
            self.view.refresh_account()
        column.view.stepsChanged.emit(len(trajectory))
        self.view.column_changed()

    def _ended(self, column, end) -> bool:
        if isinstance(end, Finished):
            column.state, column.seconds, column.recipe = "done", end.duration_s, end.recipe
            return True
        if isinstance(end, Failed):
            column.state, column.message = "failed", end.message
            self.vm.status.set_error(end.kind, f"the families: {column.model} failed: {end.message}")
        elif isinstance(end, Cancelled):
            column.state = "cancelled"
        return False

    def _task_failed(self, exc: BaseException) -> None:
        self.view.set_running(False)
        self.vm.status.set_error(ErrorKind.INTERNAL, f"unexpected error in the families view: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        self._closed = True
        self.tasks.cancel_all()


def _plan_and_cards(base: Recipe, models, first_seed: int, count: int):
    """On the disk thread: the runs (checked against each model) and each model's card figures."""
    from engine.families.plan import plan_families
    from engine.families.quality import read_quality

    plan = plan_families(base, models, first_seed, count)
    return plan, {run.info.name: read_quality(run.info.name, run.info.source) for run in plan.runs}
