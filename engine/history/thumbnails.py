"""Small PNG thumbnails of a run (the final batch as a grid), a few KB each."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from engine.export.grid import make_grid, upscale
from engine.export.png import image_from_array
from engine.trajectory import Trajectory

SIZE = 128  # longest side in pixels


def thumbnail_png(images: np.ndarray, size: int = SIZE) -> bytes:
    """(B, H, W, C) uint8 -> PNG bytes no more than `size` across: tiny images are enlarged by an
    integer factor (crisp), large grids shrunk."""
    grid = make_grid(images)
    longest = max(grid.shape[:2])
    if longest < size:
        grid = upscale(grid, size // longest)
    picture = image_from_array(grid)
    if longest > size:
        picture.thumbnail((size, size), Image.Resampling.BOX)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def run_thumbnail(trajectory: Trajectory) -> bytes | None:
    """The final images, or the last prediction of a cancelled run; None when there is nothing."""
    if trajectory.final is not None:
        return thumbnail_png(trajectory.final)
    if trajectory.steps:
        return thumbnail_png(trajectory.steps[-1].x0)
    return None
