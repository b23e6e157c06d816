"""Tiling a batch into one picture, and the nearest-neighbour upscale tiny images need.

The one tiler: exports, history thumbnails, training sample grids (and the viewer) call make_grid.
NumPy only, so anything may import it."""

from __future__ import annotations

import math

import numpy as np

PADDING = 2  # pixels between tiles
READABLE = 256  # default upscale aims for a picture about this many pixels across
MAX_SCALE = 32


def grid_columns(count: int) -> int:
    return max(1, math.ceil(math.sqrt(count)))


def make_grid(images: np.ndarray, columns: int | None = None, padding: int = PADDING,
              fill: int = 0) -> np.ndarray:
    """(B, H, W, C) uint8 -> (H', W', C): the samples in rows of `columns`, left to right, `fill`
    in the gaps. One image with no columns asked for is returned as it is."""
    count, height, width, channels = images.shape
    if count == 1 and columns is None:
        return images[0]
    columns = columns or grid_columns(count)
    rows = math.ceil(count / columns)
    grid = np.full((rows * height + (rows - 1) * padding, columns * width + (columns - 1) * padding, channels),
                   fill, dtype=np.uint8)
    for index, image in enumerate(images):
        top, left = (index // columns) * (height + padding), (index % columns) * (width + padding)
        grid[top:top + height, left:left + width] = image
    return grid


def default_scale(height: int, width: int, target: int = READABLE) -> int:
    """The integer upscale that brings a (height, width) picture nearest to target px across."""
    return max(1, min(MAX_SCALE, round(target / max(height, width, 1))))


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest neighbour: every pixel becomes a factor x factor block (crisp, no blur)."""
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)
