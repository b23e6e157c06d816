"""NumPy uint8 frames -> QImage, and a batch laid out as a grid. GUI thread only.

Frames come from the engine as (B, H, W, C) uint8, C = 1 or 3, read-only. A QImage made over a
NumPy buffer does not own it, so `to_qimage` returns a deep copy (`.copy()`): the image stays
valid after the array is gone, and nothing ever writes into the engine's read-only buffer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QImage

from engine.export.grid import grid_columns, make_grid

GRID_PAD = 2  # pixels between the samples of a batch grid (in image pixels)
GRID_BACKGROUND = 24  # the gutter's grey level


@dataclass(frozen=True)
class GridLayout:
    """Where each sample of a batch sits in the grid image (image pixels)."""

    count: int
    cols: int
    rows: int
    cell_w: int
    cell_h: int
    pad: int

    @property
    def width(self) -> int:
        return self.cols * self.cell_w + (self.cols - 1) * self.pad

    @property
    def height(self) -> int:
        return self.rows * self.cell_h + (self.rows - 1) * self.pad

    def index_at(self, x: float, y: float) -> int | None:
        """The sample under image coordinates (x, y), or None (gutter or outside)."""
        if x < 0 or y < 0:
            return None
        col, cx = divmod(int(x), self.cell_w + self.pad)
        row, cy = divmod(int(y), self.cell_h + self.pad)
        if cx >= self.cell_w or cy >= self.cell_h or col >= self.cols or row >= self.rows:
            return None
        index = row * self.cols + col
        return index if index < self.count else None


def grid_layout(count: int, height: int, width: int, pad: int = GRID_PAD, columns: int | None = None) -> GridLayout:
    cols = max(1, min(count, columns)) if columns else grid_columns(count)
    rows = max(1, math.ceil(count / cols))
    return GridLayout(count, cols, rows, width, height, pad if count > 1 else 0)


def best_columns(count: int, height: int, width: int, room: tuple[int, int], pad: int = GRID_PAD) -> int:
    """The grid columns that show a batch largest in a room (w, h) at an integer zoom: a tall
    narrow pane takes a batch of 4 as one column at 4x rather than a 2x2 grid at 3x. Ties go to
    the fewest empty cells, then to the near-square grid exports use."""
    default = grid_columns(count)

    def score(cols: int) -> tuple[float, int, int]:
        layout = grid_layout(count, height, width, pad, cols)
        fit = min(room[0] / layout.width, room[1] / layout.height)
        return (float(math.floor(fit)) if fit >= 1 else fit, -(layout.rows * cols - count), -abs(cols - default))

    return max(range(1, count + 1), key=score) if count > 1 else 1


def tile(batch: np.ndarray, pad: int = GRID_PAD, columns: int | None = None) -> tuple[np.ndarray, GridLayout]:
    """(B, H, W, C) -> one (H', W', C) image with the samples in a near-square grid, or in
    `columns` columns (the engine's one tiler, so the window and every export lay a batch out alike)."""
    if batch.ndim != 4:
        raise ValueError(f"expected (batch, height, width, channels), got shape {batch.shape}")
    count, height, width, _ = batch.shape
    layout = grid_layout(count, height, width, pad, columns)
    return make_grid(batch, columns=layout.cols if count > 1 else None, padding=layout.pad,
                     fill=GRID_BACKGROUND), layout


def to_qimage(image: np.ndarray) -> QImage:
    """(H, W, 1) or (H, W, 3) uint8 -> a QImage that owns its pixels."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (1, 3):
        raise ValueError(f"expected (height, width, 1 or 3) uint8, got {image.dtype} {image.shape}")
    height, width, channels = image.shape
    buffer = np.ascontiguousarray(image)
    fmt = QImage.Format.Format_Grayscale8 if channels == 1 else QImage.Format.Format_RGB888
    # bytesPerLine is the real row stride; QImage would otherwise assume 32-bit aligned rows.
    view = QImage(buffer.data, width, height, buffer.strides[0], fmt)
    return view.copy()  # detach from `buffer` before it can be freed
