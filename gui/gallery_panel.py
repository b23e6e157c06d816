"""The gallery: past runs as thumbnails, newest first; filter, open, star, delete, re-run, copy.

Self-contained: it takes a History, the DiskWorker its reads and writes run on (rows a page at
a time, star, delete: never on the GUI thread), the TaskKeeper that reports their failures, and
callbacks; it knows nothing of the main window.
    on_open_run(run_id)        open the run (load_run() gives its record and kept trajectory)
    on_rerun(recipe)           put the recipe in the controls and generate
    on_copy_recipe(json_text)  default: the clipboard
    on_compare(run_ids)        open 2 to 4 selected runs side by side (set_on_compare; gui/compare_wiring.py)
Delete forgets the history row only; exported files and the trajectory file stay on disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.errors import NoisescopeError
from engine.export.trajectory_file import load_trajectory
from engine.history import History, RunRecord
from engine.recipe import Recipe
from engine.trajectory import Trajectory
from gui.disk_worker import DiskWorker
from gui.gallery_model import PAGE_SIZE, GalleryModel
from gui.tasks import TaskKeeper

ALL = "All"
COMPARE_MIN, COMPARE_MAX = 2, 4  # engine.compare.runs.MIN_RUNS, MAX_RUNS (not imported: no engine.compare here)
THUMBNAIL = 96
SWEEPS_LISTED = 50  # the newest groups (sweeps, families, interpolations) offered by the group filter
ALL_RUNS = "▦ Any run, in a group or not"


def load_run(history: History, run_id: int) -> tuple[RunRecord | None, Trajectory | None]:
    """A run's record and, when its trajectory file was kept and is still there, the trajectory."""
    record = history.get_run(run_id)
    if record is None or not record.trajectory_path or not Path(record.trajectory_path).is_file():
        return record, None
    try:
        return record, load_trajectory(Path(record.trajectory_path))
    except NoisescopeError:
        return record, None


def _filter_values(history: History) -> dict[str, list[Any]]:
    """On the disk thread: the values each filter offers (the sweeps: (id, title), newest first)."""
    values: dict[str, list[Any]] = {column: history.distinct(column) for column in ("model", "sampler", "family")}
    values["sweep"] = [(sweep.id, sweep.title()) for sweep in history.list_sweeps(limit=SWEEPS_LISTED)]
    return values


class GalleryPanel(QWidget):
    changed = Signal()  # a star or delete was written and the rows read again

    def __init__(self, history: History, disk: DiskWorker, tasks: TaskKeeper,
                 on_open_run: Callable[[int], None] | None = None, on_rerun: Callable[[Recipe], None] | None = None,
                 on_copy_recipe: Callable[[str], None] | None = None, page_size: int = PAGE_SIZE,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("galleryPanel")
        self.history, self.disk, self.tasks = history, disk, tasks
        self.on_open_run, self.on_rerun = on_open_run, on_rerun
        self.on_copy_recipe = on_copy_recipe or (lambda text: QGuiApplication.clipboard().setText(text))
        self.model = GalleryModel(history, disk, tasks, page_size, self)
        self.confirm: QMessageBox | None = None
        self.on_compare: Callable[[list[int]], object] | None = None
        self._select_after_load: int | None = None
        self._sweep_wanted: int | None | bool = False  # show_sweep's choice, applied at the next refresh

        self.model_filter, self.sampler_filter, self.family_filter = QComboBox(), QComboBox(), QComboBox()
        self.starred_only = QCheckBox("★ only")
        filters = QGridLayout()  # two rows: the dock stays narrow beside the viewer
        for place, (combo, tip) in enumerate(((self.model_filter, "model"), (self.sampler_filter, "sampler"),
                                              (self.family_filter, "family"))):
            combo.setToolTip(f"Show only runs of this {tip}")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
            combo.currentIndexChanged.connect(self._apply_filters)
            filters.addWidget(combo, place // 2, place % 2)
        self.starred_only.toggled.connect(self._apply_filters)
        filters.addWidget(self.starred_only, 1, 1)
        self.branches_only = QCheckBox("↳ Selected run's branch tree", objectName="branchesToggle")
        self.branches_only.toggled.connect(self._branches_toggled)
        self._tree: int | None = None  # the run whose family is shown, while the toggle is on
        filters.addWidget(self.branches_only, 2, 0, 1, 2)  # a row of its own: the dock stays narrow
        self.sweep_filter = QComboBox(objectName="sweepFilter")
        self.sweep_filter.setToolTip("Show only the runs of one group, in their order: a sweep's cells (Run > Sweep…), "
                                     "the families side by side, or an interpolation's frames (Run > Interpolate…)")
        self.sweep_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.sweep_filter.setMinimumContentsLength(12)
        self.sweep_filter.currentIndexChanged.connect(self._apply_filters)
        filters.addWidget(self.sweep_filter, 3, 0, 1, 2)

        self.view = QListView()
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.view.setGridSize(QSize(THUMBNAIL + 52, THUMBNAIL + 112))  # up to six caption lines (cancelled, wrapped)
        self.view.setWordWrap(True)
        self.view.setUniformItemSizes(False)  # captions differ in lines (a cancelled run has one more)
        self.view.setModel(self.model)
        self.view.setSelectionMode(QListView.SelectionMode.ExtendedSelection)  # Ctrl+click: runs to compare
        self.view.doubleClicked.connect(lambda index: self.open_selected())
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self.model.loaded.connect(self._loaded)

        self.open_button, self.star_button = QPushButton("Open"), QPushButton("Star")
        self.rerun_button, self.copy_button = QPushButton("Re-run"), QPushButton("Copy recipe")
        self.delete_button = QPushButton("Delete")
        self.compare_button = QPushButton("Compare")
        self.delete_button.setToolTip("Forget this run in the history (its exported files stay on disk)")
        buttons = QVBoxLayout()  # two rows: the dock stays narrow beside the viewer
        for row in (((self.open_button, self.open_selected), (self.rerun_button, self.rerun_selected),
                     (self.star_button, self.toggle_star)),
                    ((self.copy_button, self.copy_selected), (self.delete_button, self.delete_selected),
                     (self.compare_button, self.compare_selected))):
            line = QHBoxLayout()
            for button, slot in row:
                button.clicked.connect(slot)
                line.addWidget(button)
            buttons.addLayout(line)
        self.message = QLabel()
        self.message.setWordWrap(True)

        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)  # the dock frames it already
        column.addLayout(filters)
        column.addWidget(self.view, 1)
        column.addLayout(buttons)
        column.addWidget(self.message)
        self.refresh()

    # -- what the window calls -------------------------------------------------------------
    def refresh(self) -> asyncio.Task | None:
        """Re-read the history (call after a run was recorded), on the disk thread; keeps the
        filters chosen. Returns the task, done once the rows are in."""
        return None if self.disk.closed else self.tasks.spawn(self._refresh(), name="gallery-refresh")

    async def _refresh(self) -> None:
        values = await self.disk.submit(_filter_values, self.history)
        for combo, column in ((self.model_filter, "model"), (self.sampler_filter, "sampler"),
                              (self.family_filter, "family")):
            chosen = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(f"{ALL} {'families' if column == 'family' else column + 's'}")
            combo.addItems(values[column])
            combo.setCurrentIndex(max(0, combo.findText(chosen)))
            combo.blockSignals(False)
        self._fill_sweeps(values["sweep"])
        loading = self._apply_filters(keep_count=True)
        if loading is not None:
            await loading

    def selected_run(self) -> RunRecord | None:
        """The one run selected (None when none or several are: Open, Star... act on one)."""
        indexes = self.view.selectionModel().selectedIndexes()
        return self.model.run_at(indexes[0].row()) if len(indexes) == 1 else None

    def selected_runs(self) -> list[RunRecord]:
        """Every run selected, oldest first (the first is A in a comparison)."""
        rows = sorted(index.row() for index in self.view.selectionModel().selectedIndexes())
        runs = [run for run in map(self.model.run_at, rows) if run is not None]
        return sorted(runs, key=lambda run: run.id)

    def show_sweep(self, sweep_id: int | None) -> asyncio.Task | None:
        """Filter to one sweep's cells (None: every run); the filter lists it once the rows are read again."""
        self._sweep_wanted = sweep_id
        return self.refresh()

    def _fill_sweeps(self, sweeps: list[tuple[int, str]]) -> None:
        wanted = self._sweep_wanted if self._sweep_wanted is not False else self.sweep_filter.currentData()
        self._sweep_wanted = False
        self.sweep_filter.blockSignals(True)
        self.sweep_filter.clear()
        self.sweep_filter.addItem(ALL_RUNS, None)
        for sweep_id, title in sweeps:
            self.sweep_filter.addItem(title, sweep_id)
            self.sweep_filter.setItemData(self.sweep_filter.count() - 1, title, Qt.ItemDataRole.ToolTipRole)
        self.sweep_filter.setCurrentIndex(max(0, self.sweep_filter.findData(wanted)))
        self.sweep_filter.blockSignals(False)

    def set_on_compare(self, on_compare: Callable[[list[int]], object] | None) -> None:
        self.on_compare = on_compare
        self._update_buttons()

    def select_run(self, run_id: int) -> None:
        row = self.model.row_of(run_id)
        if row is not None:
            self.view.setCurrentIndex(self.model.index(row))

    # -- actions ---------------------------------------------------------------------------
    def open_selected(self) -> None:
        run = self.selected_run()
        if run is not None and self.on_open_run is not None:
            self.on_open_run(run.id)

    def toggle_star(self) -> None:
        run = self.selected_run()
        if run is not None and not self.disk.closed:
            self.tasks.spawn(self._star(run.id, not run.starred), name="gallery-star")

    def rerun_selected(self) -> None:
        run = self.selected_run()
        if run is None or self.on_rerun is None:
            return
        try:
            self.on_rerun(run.recipe())
        except NoisescopeError as exc:
            self.message.setText(f"cannot re-run: {exc.message}")

    def copy_selected(self) -> None:
        run = self.selected_run()
        if run is not None:
            self.on_copy_recipe(run.recipe_json)
            self.message.setText("recipe copied")

    def compare_selected(self) -> None:
        runs = self.selected_runs()
        if self.on_compare is not None and COMPARE_MIN <= len(runs) <= COMPARE_MAX:
            self.on_compare([run.id for run in runs])

    def delete_selected(self) -> None:
        """Ask first (a non-blocking box, open() not exec()), then forget the row."""
        run = self.selected_run()
        if run is None:
            return
        self.confirm = QMessageBox(QMessageBox.Icon.Question, "Delete run",
                                   f"Forget run {run.id} ({run.model}) in the history?\n"
                                   "Exported files and a kept trajectory stay on disk.",
                                   QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        self.confirm.accepted.connect(lambda: self._delete(run.id))
        self.confirm.open()

    # -- plumbing --------------------------------------------------------------------------
    def _delete(self, run_id: int) -> None:
        if not self.disk.closed:
            self.tasks.spawn(self._forget(run_id), name="gallery-delete")

    async def _star(self, run_id: int, starred: bool) -> None:
        """Written on the disk thread, then the rows read again with the run still selected."""
        await self.disk.submit(self.history.star, run_id, starred)
        self._select_after_load = run_id
        loading = self.model.refresh()
        if loading is not None:
            await loading
        self.changed.emit()

    async def _forget(self, run_id: int) -> None:
        await self.disk.submit(self.history.delete, run_id)
        self.message.setText(f"run {run_id} forgotten; its files are still on disk")
        await self._refresh()  # its model may have been the last of its kind: the filters too
        self.changed.emit()

    def _loaded(self) -> None:
        if self._select_after_load is not None:
            self.select_run(self._select_after_load)
            self._select_after_load = None
        self._update_buttons()

    def _apply_filters(self, *_, keep_count: bool = False) -> asyncio.Task | None:
        def chosen(combo: QComboBox) -> str | None:
            return combo.currentText() if combo.currentIndex() > 0 else None

        filters = {"model": chosen(self.model_filter), "sampler": chosen(self.sampler_filter),
                   "family": chosen(self.family_filter), "starred": True if self.starred_only.isChecked() else None,
                   "tree": self._tree, "sweep": self.sweep_filter.currentData()}
        if keep_count and filters == self.model.filters:
            return self.model.refresh()  # same filters: keep as many rows as are shown
        return self.model.set_filters(**filters)

    def _branches_toggled(self, on: bool) -> None:
        """On: only the selected run's family (the run it branches from, each branch), tree order."""
        run = self.selected_run()
        if on and run is None:
            self.branches_only.setChecked(False)  # toggles back (and comes here again, off)
            self.message.setText("select a run first: Branches shows it with the run it came from and its branches")
            return
        self._tree = run.id if on and run is not None else None
        self._select_after_load = run.id if run is not None else None
        for widget in (self.model_filter, self.sampler_filter, self.family_filter, self.starred_only,
                       self.sweep_filter):
            widget.setEnabled(not on)  # set aside while a family is shown
        self.message.setText("" if not on else f"run {run.id}'s family: the run it branches from and every branch")
        self._apply_filters()

    def _update_buttons(self, *args) -> None:
        run = self.selected_run()
        self.branches_only.setEnabled(run is not None or self.branches_only.isChecked())
        self.branches_only.setToolTip("Show only the selected run, the run it branches from and every branch "
                                      "(↳ in a caption: a branch of run #N from step K)")
        for button in (self.open_button, self.star_button, self.rerun_button, self.copy_button, self.delete_button):
            button.setEnabled(run is not None)
        self.open_button.setEnabled(run is not None and self.on_open_run is not None)
        self.rerun_button.setEnabled(run is not None and self.on_rerun is not None)
        self.star_button.setText("Unstar" if run is not None and run.starred else "Star")
        count = len(self.view.selectionModel().selectedIndexes())
        can_compare = self.on_compare is not None and COMPARE_MIN <= count <= COMPARE_MAX
        self.compare_button.setEnabled(can_compare)
        if can_compare:
            self.compare_button.setToolTip(f"Put the {count} selected runs side by side, step by step")
        elif count > COMPARE_MAX:
            self.compare_button.setToolTip(f"{count} runs are selected: a comparison takes {COMPARE_MIN} to "
                                           f"{COMPARE_MAX}; unselect {count - COMPARE_MAX} (Ctrl+click)")
        else:
            self.compare_button.setToolTip(f"Select {COMPARE_MIN} to {COMPARE_MAX} runs to compare (Ctrl+click "
                                           f"to add one): {count} selected")

