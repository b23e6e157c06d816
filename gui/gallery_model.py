"""A list model over history rows: newest first, with thumbnails, filterable, read a page at a time.

Rows are read on the DiskWorker thread, PAGE_SIZE at a time with their thumbnails decoded there
(a QImage may be made off the GUI thread; only the QPixmap is made here): the first page when the
filters change or the history does (`refresh`), the next when the view scrolls near the end (Qt's
canFetchMore/fetchMore). A refresh reads as many rows as are shown, so the list keeps its place.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap

from engine.errors import NoisescopeError
from engine.history import History, RunRecord, SweepRecord
from engine.samplers.registry import NO_SAMPLER, SAMPLERS
from gui.disk_worker import DiskWorker
from gui.tasks import TaskKeeper

RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STARRED_ROLE = Qt.ItemDataRole.UserRole + 2
RECORD_ROLE = Qt.ItemDataRole.UserRole + 3
PAGE_SIZE = 48  # sixteen rows of three thumbnails: more than a tall dock shows


@dataclass(frozen=True)
class Page:
    runs: list[RunRecord]
    images: dict[int, QImage]  # run id -> its decoded thumbnail
    captions: dict[int, str]  # run id -> its caption (parsing each recipe is not for the paint path)
    complete: bool  # no more rows after these


def read_page(history: History, filters: dict[str, Any], offset: int, limit: int) -> Page:
    """On the disk thread: `limit` rows from `offset`, thumbnails decoded."""
    filters = dict(filters)
    tree = filters.pop("tree", None)  # one run's family (History.lineage), the other filters set aside
    if tree is not None:
        runs = history.lineage(tree)[offset:offset + limit + 1]
    else:
        runs = history.list_runs(**filters, limit=limit + 1, offset=offset)  # one more: is there a next page?
    runs, complete = runs[:limit], len(runs) <= limit
    images = {run.id: QImage.fromData(run.thumbnail or b"", "PNG") for run in runs}
    sweeps = {run.sweep_id: history.get_sweep(run.sweep_id) for run in runs if run.sweep_id is not None}
    return Page(runs, images, {run.id: caption(run, steps_run(run), sweeps.get(run.sweep_id or 0)) for run in runs},
                complete)  # a group's runs name their place in it (ids start at 1: 0 is none)


def steps_run(run: RunRecord) -> int | None:
    """How many steps a cancelled run ran: its last kept step's index + 1 (previews past the memory
    budget are thinned, the latest kept), from the small `index` tensor of its trajectory file;
    None for a finished run or when the steps were not kept."""
    if run.outcome != "cancelled" or not run.trajectory_path:
        return None
    try:
        from safetensors import safe_open

        with safe_open(run.trajectory_path, framework="numpy") as handle:
            indexes = handle.get_tensor("index")
            return int(indexes[-1]) + 1 if len(indexes) else None
    except Exception:  # gone, unreadable or not ours: the caption just says "cancelled"
        return None


class GalleryModel(QAbstractListModel):
    """Empty until the first `refresh()` (or `set_filters`)."""

    loaded = Signal()  # rows arrived (a refresh or the next page)

    def __init__(self, history: History, disk: DiskWorker, tasks: TaskKeeper, page_size: int = PAGE_SIZE,
                 parent=None):
        super().__init__(parent)
        self.history, self.disk, self.tasks, self.page_size = history, disk, tasks, page_size
        self._runs: list[RunRecord] = []
        self._images: dict[int, QImage] = {}
        self._captions: dict[int, str] = {}
        self._icons: dict[int, QIcon] = {}
        self._complete = True
        self._generation = 0  # a refresh makes pages still being read for older filters stale
        self._loading = False
        self.filters: dict[str, Any] = {"model": None, "sampler": None, "family": None, "starred": None, "tree": None,
                                        "sweep": None}

    def set_filters(self, model: str | None = None, sampler: str | None = None, family: str | None = None,
                    starred: bool | None = None, tree: int | None = None,
                    sweep: int | None = None) -> asyncio.Task | None:
        """`tree`: a run id; only its family is shown (the run it branches from, every branch), the rest ignored.
        `sweep`: a sweep's id; only its cells, in cell order."""
        self.filters = {"model": model, "sampler": sampler, "family": family, "starred": starred, "tree": tree,
                        "sweep": sweep}
        return self.refresh(keep_count=False)

    def refresh(self, keep_count: bool = True) -> asyncio.Task | None:
        """Read the rows again (after a run was added, starred or deleted), as many as are shown;
        returns the task that puts them in (None once the disk worker is closed)."""
        self._generation += 1
        count = max(self.page_size, len(self._runs)) if keep_count else self.page_size
        return self._load(0, count, replace=True)

    @property
    def loading(self) -> bool:
        return self._loading

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and not self._complete and not self._loading

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008, N802
        if self.canFetchMore(parent):
            self._load(len(self._runs), self.page_size, replace=False)

    def _load(self, offset: int, limit: int, replace: bool) -> asyncio.Task | None:
        if self.disk.closed:
            return None
        self._loading = True
        future = self.disk.submit(read_page, self.history, dict(self.filters), offset, limit)
        return self.tasks.spawn(self._arrived(future, self._generation, replace), name="gallery-page")

    async def _arrived(self, future, generation: int, replace: bool) -> None:
        try:
            page = await future
        finally:
            if generation == self._generation:
                self._loading = False
        if generation != self._generation:
            return  # the filters or the history changed meanwhile; a newer read is on its way
        if replace:
            self.beginResetModel()
            self._runs, self._images, self._captions = list(page.runs), dict(page.images), dict(page.captions)
            alive = {run.id for run in self._runs}
            self._icons = {run_id: icon for run_id, icon in self._icons.items() if run_id in alive}
            self.endResetModel()
        elif page.runs:
            self.beginInsertRows(QModelIndex(), len(self._runs), len(self._runs) + len(page.runs) - 1)
            self._runs.extend(page.runs)
            self._images.update(page.images)
            self._captions.update(page.captions)
            self.endInsertRows()
        self._complete = page.complete
        self.loaded.emit()

    def run_at(self, row: int) -> RunRecord | None:
        return self._runs[row] if 0 <= row < len(self._runs) else None

    def row_of(self, run_id: int) -> int | None:
        return next((row for row, run in enumerate(self._runs) if run.id == run_id), None)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._runs)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        run = self.run_at(index.row()) if index.isValid() else None
        if run is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._captions.get(run.id) or caption(run)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(run)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(run)
        if role == RUN_ID_ROLE:
            return run.id
        if role == STARRED_ROLE:
            return run.starred
        if role == RECORD_ROLE:
            return run
        return None

    def _icon(self, run: RunRecord) -> QIcon:
        if run.id not in self._icons:
            image = self._images.get(run.id)
            icon = QIcon()
            if image is not None and not image.isNull():
                pixmap = QPixmap.fromImage(image)
                for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected):  # selected: the frame shows it, no tint
                    icon.addPixmap(pixmap, mode)
            self._icons[run.id] = icon
        return self._icons[run.id]


def _steps_and_seed(run: RunRecord) -> str:
    try:
        recipe = run.recipe()
    except NoisescopeError:  # a row from a newer recipe version: show what the columns say
        return ""
    steps = "" if recipe.sampler == NO_SAMPLER else f" · {recipe.steps} steps"
    return f"{steps}\nseed {recipe.seed}"  # the seed on a line of its own: never cut


def sampler_name(sampler_id: str) -> str:
    """The name people know ("DPM++ 2M"); VAE and GAN runs have none."""
    spec = SAMPLERS.get(sampler_id)
    return spec.display_name if spec else "one decode"


def caption(run: RunRecord, steps_done: int | None = None, sweep: SweepRecord | None = None) -> str:
    star = "★ " if run.starred else ""
    text = f"{star}{run.model}\n{sampler_name(run.sampler)}{_steps_and_seed(run)}"
    if run.from_step is not None:  # a branch; steps counted from 1, as the timeline shows them
        text += "\n" + branch_line(run)
    if run.sweep_id is not None:  # ▦ sweep #3: steps=10 · ▦ families #4: tiny-vae · ▦ interpolation #5: seed 1
        noun, place = (sweep.noun, f": {sweep.cell_label(run.sweep_cell)}") if sweep is not None else ("group", "")
        text += f"\n▦ {noun} #{run.sweep_id}{place}"
    if run.outcome == "cancelled":
        done = "" if steps_done is None else f" at step {steps_done}"
        text += f"\n✕ cancelled{done}, {run.duration_s:.1f} s"
    return text


def branch_line(run: RunRecord) -> str:
    """"↳ branch of #12 @5": the run it continues and the step (its parent forgotten: "of a run")."""
    of = f"#{run.parent_id}" if run.parent_id is not None else "a run"
    return f"↳ branch of {of} @{(run.from_step or 0) + 1}"


def tooltip(run: RunRecord) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created_at))
    lines = [f"{run.model} ({run.family})", f"{when}: {run.outcome} in {run.duration_s:.1f} s on {run.device}"]
    if run.model_hash:
        lines.append(f"model hash {run.model_hash}")
    if run.from_step is not None:
        parent = f"run #{run.parent_id}" if run.parent_id is not None else "a run no longer in the history"
        lines.append(f"a branch of {parent}, from its step {run.from_step + 1}")
    if run.sweep_id is not None:
        lines.append(f"one of group #{run.sweep_id} (the gallery's group filter shows all its runs)")
    if run.trajectory_path:
        lines.append("trajectory kept: opens for scrubbing")
    return "\n".join(lines)
