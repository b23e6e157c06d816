"""A list model over history rows: newest first, with thumbnails, filterable. GUI thread only."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap

from engine.errors import NoisescopeError
from engine.history import History, RunRecord
from engine.samplers import SAMPLERS

RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STARRED_ROLE = Qt.ItemDataRole.UserRole + 2
RECORD_ROLE = Qt.ItemDataRole.UserRole + 3


class GalleryModel(QAbstractListModel):
    def __init__(self, history: History, parent=None):
        super().__init__(parent)
        self.history = history
        self.filters: dict[str, Any] = {}
        self._runs: list[RunRecord] = []
        self._icons: dict[int, QIcon] = {}
        self.refresh()

    def set_filters(self, model: str | None = None, sampler: str | None = None, family: str | None = None,
                    starred: bool | None = None) -> None:
        self.filters = {"model": model, "sampler": sampler, "family": family, "starred": starred}
        self.refresh()

    def refresh(self) -> None:
        """Read the rows again (after a run was added, starred or deleted)."""
        self.beginResetModel()
        self._runs = self.history.list_runs(**self.filters)
        alive = {run.id for run in self._runs}
        self._icons = {run_id: icon for run_id, icon in self._icons.items() if run_id in alive}
        self.endResetModel()

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
            return caption(run)
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
            image = QImage.fromData(run.thumbnail or b"", "PNG")
            icon = QIcon()
            if not image.isNull():
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
    return f" · {recipe.steps} steps · seed {recipe.seed}"


def sampler_name(sampler_id: str) -> str:
    """The name people know ("DPM++ 2M"); VAE and GAN runs have none."""
    spec = SAMPLERS.get(sampler_id)
    return spec.display_name if spec else "one decode"


def caption(run: RunRecord) -> str:
    star = "★ " if run.starred else ""
    return f"{star}{run.model}\n{sampler_name(run.sampler)}{_steps_and_seed(run)}"


def tooltip(run: RunRecord) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created_at))
    lines = [f"{run.model} ({run.family})", f"{when}: {run.outcome} in {run.duration_s:.1f} s on {run.device}"]
    if run.model_hash:
        lines.append(f"model hash {run.model_hash}")
    if run.trajectory_path:
        lines.append("trajectory kept: opens for scrubbing")
    return "\n".join(lines)
