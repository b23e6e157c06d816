"""Run > Sweep…: plans a sweep from the form's recipe and the axes, runs it on the engine worker (or
Ray, by the cluster setting), fills the grid in as cells finish, records each cell in the history
as one sweep group, and exports the grid PNG the CLI writes.

Planning is the engine's torch-free core (parse_axis, make_plan, check), so a bad value is the
engine's message, shown inline as it is typed. More cells than `max_cells` are asked about first
(a non-blocking box). The sweep itself is one EngineAdapter.call job (gui/sweep_job.py); cells are
recorded and the grid drawn on the DiskWorker, the grid at most one drawing at a time (the newest
cells wait for the next one). The GUI thread never waits on torch, the disk or Ray.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from engine.errors import InvalidRecipe, NoisescopeError
from engine.events import Failed, Started
from engine.kinds import ErrorKind
from engine.sweep.plan import DEFAULT_MAX_CELLS, SweepPlan, fit_labels, make_plan
from gui.disk_worker import DiskWorker
from gui.engine_adapter import EngineAdapter
from gui.group_records import show_group_in_gallery
from gui.history_wiring import HistoryWiring
from gui.recipe_summary import recipe_summary
from gui.side_window_wiring import SideWindowWiring
from gui.sweep_axes import MissingValues
from gui.sweep_dialog import SweepDialog
from gui.sweep_disk_jobs import draw_grid, export_grid, record_cell
from gui.sweep_job import CELL, EVENT, Progress, SweepCounts, SweepJob
from gui.view_model import ViewModel

log = logging.getLogger(__name__)


class SweepWiring(SideWindowWiring):
    def __init__(self, window: QMainWindow, vm: ViewModel, adapter: EngineAdapter, history: HistoryWiring,
                 disk: DiskWorker, settings):
        super().__init__(window, vm, "the sweep", ("S&weep…", "sweepAction",
                         "An X/Y/Z grid over fields of the recipe (AUTOMATIC1111's X/Y/Z plot)"))
        self.adapter, self.history, self.disk, self.settings = adapter, history, disk, settings
        self.max_cells = DEFAULT_MAX_CELLS  # more than this is asked about first
        self.confirm: QMessageBox | None = None
        self.plan: SweepPlan | None = None  # the sweep on screen (running or ended)
        self.images: dict[int, Any] = {}  # cell index -> (H, W, C) uint8, its final image tiled
        self.recipes: dict[int, Any] = {}  # cell index -> its recipe as run
        self.run_ids: dict[int, int] = {}  # cell index -> its history row
        self.group: dict[str, int | None] = {"id": None}  # the sweep's history group, made at its first cell
        self.counts: SweepCounts | None = None
        self._drawing = self._redraw = False

    # -- the dialog ------------------------------------------------------------------------
    def make_dialog(self) -> SweepDialog:
        return SweepDialog(self.settings, self.window)

    def connect_dialog(self, dialog: SweepDialog) -> None:
        dialog.axes.changed.connect(self.check)
        dialog.cluster.changed.connect(self.check)
        dialog.run_button.clicked.connect(self.run)
        dialog.cancel_button.clicked.connect(self.cancel)
        dialog.export_button.clicked.connect(self.ask_export)
        dialog.gallery_button.clicked.connect(self.show_in_gallery)
        dialog.grid.cellActivated.connect(self.open_cell)
        dialog.axes.set_axis("x", "seed", "")  # the most common first axis, values left to type

    def check(self, plan_any_size: bool = False) -> SweepPlan | None:
        """Plan the sweep as typed: the cell count, or what is wrong, inline. The plan, or None (also
        for a sweep past max_cells, which is planned only once the person has said yes: plan_any_size)."""
        dialog = self.dialog
        if dialog is None:
            return None
        self._offer_fields()
        self.ready = False
        plan: SweepPlan | None = None
        notes: tuple[str, ...] = ()
        try:
            base = self.form.build_recipe()
            dialog.base.setText(recipe_summary(base))
            axes = dialog.axes.axes()
            dialog.base.setText(recipe_summary(base, frozenset(axis.field for axis in axes)))
            if not axes:
                raise InvalidRecipe("choose the field of the X axis and type its values")
            sizes = [len(axis.values) for axis in axes] + [1, 1]
            count = sizes[0] * sizes[1] * sizes[2]
            if count <= self.max_cells or plan_any_size:
                plan, notes = fit_labels(make_plan(base, axes, max_cells=None))  # a model sweep: the VAE unlabelled
                plan.check()
        except MissingValues as exc:  # not typed yet: said plainly, not in red
            dialog.show_problem(None, exc.message)
            self._show_state()
            return None
        except NoisescopeError as exc:  # a value that does not fit, a model not found
            dialog.show_problem(_axis_words(exc.message))
            self._show_state()
            return None
        shape = " × ".join(str(size) for size in sizes[:len(axes)])
        runs = len(plan.groups()) if plan is not None else count
        summary = f"{count} cells ({shape})" + (f", {runs} runs: consecutive seeds share one" if runs < count else "")
        if count > self.max_cells:
            summary += f". More than {self.max_cells}: you will be asked before it runs."
        dialog.show_problem(None, "\n".join([summary, *notes]))
        self.ready = True
        self._show_state()
        return plan

    def _offer_fields(self) -> None:
        from engine.sweep.axes import sweepable_fields

        caps = self.form.capabilities()
        applies = {**caps.applies, "label": bool(caps.labels) and not caps.takes_text, "prompt": caps.takes_text,
                   "model": True, "seed": True}
        offered = [key for key in sweepable_fields() if applies.get(key, True)]
        if self.dialog is None:
            return
        axes = self.dialog.axes
        x = axes.fields["x"]
        if [x.itemData(i) for i in range(x.count())] != offered:  # another model: its fields
            axes.blockSignals(True)
            axes.set_fields(offered)
            axes.blockSignals(False)

    # -- running ---------------------------------------------------------------------------
    def run(self) -> None:
        plan = self.check()
        if not self.ready or self.running or self.dialog is None:
            return
        problem = self.dialog.cluster.problem()
        if problem is not None:
            self.dialog.show_problem(problem)
            return
        if plan is None:  # past max_cells: asked first
            count = self.dialog.summary.text().split(" ", 1)[0]
            self.confirm = QMessageBox(QMessageBox.Icon.Question, "A large sweep",
                                       f"This sweep makes {count} cells, more than {self.max_cells}.\n"
                                       "Run them all? (Cancel stops it at any time; the cells done are kept.)",
                                       QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                       self.dialog)
            self.confirm.setObjectName("sweepConfirm")
            self.confirm.accepted.connect(self._confirmed)
            self.confirm.open()  # non-blocking: the window goes on
            return
        self.start(plan)

    def _confirmed(self) -> None:
        plan = self.check(plan_any_size=True)
        if plan is not None:
            self.start(plan)

    def start(self, plan: SweepPlan) -> None:
        if self.running or self.dialog is None:
            return
        self.plan, self.images, self.recipes, self.run_ids = plan, {}, {}, {}
        self.group = {"id": None}
        self.job = job = SweepJob(plan, self.dialog.cluster.choice(), self)
        progress = Progress(plan, job.cluster.on_ray)
        self.counts = progress.counts
        job.items.connect(lambda items: self._arrived(items, progress))
        self.started_at = time.perf_counter()
        self.dialog.note.setText(f"Starting {job.cluster.describe()}…" if job.cluster.on_ray else "")
        self.window.statusBar().showMessage("A sweep is running (Run > Sweep…): Generate waits until it ends or is "
                                            "cancelled.")
        self._show_state()
        self._draw()  # the labelled grid, empty: the axes show at once
        self.tasks.spawn(self._run(job), name="sweep")

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            if self.dialog is not None:
                self.dialog.note.setText("Stopping: the cell running ends at its next step; the cells done are kept.")
                self.dialog.cancel_button.setEnabled(False)

    async def _run(self, job: SweepJob) -> None:
        problem = None
        try:
            await self.adapter.call(job.work)
        except NoisescopeError as exc:  # Ray missing or unreachable, every worker dead
            problem = exc.message
        finally:
            job.drain()  # the items still waiting, before the end is shown
            self.job = None
            self._ended(job, problem)

    def _arrived(self, items: list[tuple[str, Any]], progress: Progress) -> None:
        if self.plan is None or self.dialog is None:
            return
        made = []
        for kind, item in items:
            self.counts = progress.update(kind, item)
            if kind == CELL:
                trajectory = item.trajectory
                from engine.export.grid import make_grid

                self.images[item.cell.index] = make_grid(trajectory.final)
                self.dialog.grid.set_running(self.dialog.grid.running - {item.cell.index})
                self.recipes[item.cell.index] = trajectory.recipe
                made.append((item.cell.index, trajectory))
            elif kind == EVENT and isinstance(item.event, Started):
                self.dialog.grid.set_running({cell.index for cell in item.group.cells})
            elif kind == EVENT and isinstance(item.event, Failed):
                self.dialog.show_problem(f"cell {self.plan.cell_label(item.group.cells[0])}: {item.event.message}")
            elif kind != EVENT and self.dialog.note.text().startswith("Starting"):
                self.dialog.note.setText("")
        if made:
            self._draw()  # before the records: the disk thread draws the grid first
        for index, trajectory in made:
            self._record(index, trajectory)
        self._show_state()

    def _ended(self, job: SweepJob, problem: str | None) -> None:
        if self.dialog is None or self.plan is None:
            return
        done, total = len(self.images), len(self.plan.cells)
        seconds = time.perf_counter() - self.started_at
        if problem is not None:
            self.dialog.show_problem(problem)
        self.dialog.grid.set_running(set())
        stopped = job.cancel.is_set() or done < total
        self.dialog.note.setText(f"{'Stopped' if stopped else 'Done'}: {done} of {total} cells in {seconds:.1f} s.")
        workers = self.counts.workers if self.counts is not None else None
        self.counts = SweepCounts(total, done, 0, total - done, workers)
        self._show_state()
        self._draw()
        self.window.statusBar().clearMessage()
        if not self.disk.closed:
            self.tasks.spawn(self._recorded_all(self.dialog.note.text()), name="sweep-gallery")

    async def _recorded_all(self, note: str) -> None:
        """Once the cells' records are written (they went to the disk thread first): say where they are."""
        await self.disk.submit(lambda: None)
        group = self.group["id"]
        if self.dialog is not None and group is not None and self.dialog.note.text() == note:
            self.dialog.note.setText(f"{note} In the Gallery as sweep #{group}; double-click a cell here to open "
                                     "its run.")
        self._show_state()
        if self.history.gallery is not None:
            await self.history.gallery.refresh()

    # -- history, grid and export, on the disk thread ---------------------------------------
    def _record(self, index: int, trajectory) -> None:
        history = self.history.history
        if history is None or self.disk.closed or self.plan is None:
            return
        info = self.form.model_info(trajectory.recipe.model)
        future = self.disk.submit(record_cell, history, self.plan, self.group, trajectory, info, index)
        self.tasks.spawn(self._recorded(future, index), name="sweep-record")

    async def _recorded(self, future, index: int) -> None:
        try:
            self.run_ids[index] = await future
        except Exception as exc:  # sqlite3.Error, OSError: the grid goes on
            log.exception("recording a sweep cell failed")
            self.vm.status.set_error(ErrorKind.HISTORY, f"a sweep cell was not saved in the history: {exc}")

    def _draw(self) -> None:
        if self._drawing:
            self._redraw = True  # drawn again with the newest cells when this one is done
            return
        if self.plan is None or self.disk.closed:
            return
        self._drawing = True
        self.tasks.spawn(self._drawn(self.disk.submit(draw_grid, self.plan, dict(self.images), dict(self.recipes))),
                         name="sweep-grid")

    async def _drawn(self, future) -> None:
        from gui.qimage import to_qimage

        try:
            picture, layout = await future
        finally:
            self._drawing = False
        if self.dialog is not None and self.plan is not None:
            labels = {cell.index: self.plan.cell_label(cell) for cell in self.plan.cells}
            self.dialog.grid.set_grid(to_qimage(picture), layout.cells, layout.tile, labels)
        if self._redraw:
            self._redraw = False
            self._draw()

    def ask_export(self) -> None:
        if self.plan is None or not self.images or self.dialog is None:
            return
        from engine.paths import default_output_dir
        from engine.sweep.grid_image import grid_file_name

        suggested = str(default_output_dir() / grid_file_name(self.plan))
        self.file_dialog = QFileDialog(self.dialog, "Export the sweep's grid", suggested, "PNG images (*.png)")
        self.file_dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.file_dialog.setDefaultSuffix("png")
        self.file_dialog.fileSelected.connect(lambda path: self.export(Path(path)))
        self.file_dialog.open()

    def export(self, path: Path):
        """Write the grid PNG (the CLI's, the sweep and each cell's recipe inside); returns the task."""
        if self.plan is None or self.disk.closed:
            return None
        info = self.form.model_info(self.plan.cells[0].recipe.model)
        future = self.disk.submit(export_grid, self.history.history, self.group["id"], self.plan, dict(self.images),
                                  dict(self.recipes), path, info)
        return self.tasks.spawn(self._exported(future), name="sweep-export")

    async def _exported(self, future) -> None:
        try:
            path = await future
        except NoisescopeError as exc:
            if self.dialog is not None:
                self.dialog.show_problem(exc.message)
            return
        if self.dialog is not None:
            self.dialog.note.setText(f"Grid saved: {path}")

    def show_in_gallery(self):
        """The Gallery filtered to this sweep's cells, its dock brought up; returns the refresh task."""
        return show_group_in_gallery(self.history, self.group["id"])

    def open_cell(self, index: int) -> None:
        run_id = self.run_ids.get(index)
        if run_id is not None:
            self.history.open_run(run_id)
            self.window.raise_()
        elif self.dialog is not None:
            self.dialog.note.setText("That cell has not finished yet." if index not in self.images
                                     else "That cell is not in the history (it could not be recorded).")

    # -- plumbing --------------------------------------------------------------------------
    def _show_state(self) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        running, counts = self.running, self.counts
        dialog.show_run(running, self.ready, bool(self.job and self.job.cancel.is_set()), counts)
        dialog.export_button.setEnabled(not running and bool(self.images))
        dialog.gallery_button.setEnabled(not running and self.group["id"] is not None)
        dialog.axes.setEnabled(not running)
        dialog.cluster.setEnabled(not running)
        if counts is not None:
            dialog.workers.setText(counts.workers_text())
        dialog.workers.setVisible(bool(counts and counts.workers is not None))


def _axis_words(message: str) -> str:
    """The engine's messages name the CLI's flags (--x); the window names its axes (X)."""
    for name in ("x", "y", "z"):
        message = message.replace(f"--{name} ", f"{name.upper()} ")
    return message
