"""Sample grids as PNG: uint8 images tiled (engine.export.grid.make_grid, the one tiler), upscaled
with nearest-neighbour so pixels stay visible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from engine.atomic import write_atomically
from engine.export.grid import make_grid

GAP_GREY = 96  # the gaps between tiles


def tile(images: np.ndarray, columns: int, gap: int = 1) -> np.ndarray:
    """uint8 (N, H, W), (N, H, W, 1) or colour (N, H, W, 3) -> one (rows*(H+gap)-gap, columns*(W+gap)-gap)
    uint8 image (with the 3 colour channels for colour), grey gaps."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    sheet = make_grid(images, columns=columns, padding=gap, fill=GAP_GREY)
    return sheet[..., 0] if sheet.shape[-1] == 1 else sheet


def save_grid(images: np.ndarray, path: Path, columns: int = 10, scale: int = 4) -> Path:
    sheet = tile(images, columns)
    picture = Image.fromarray(sheet).resize((sheet.shape[1] * scale, sheet.shape[0] * scale), Image.Resampling.NEAREST)
    return write_atomically(Path(path), lambda temporary: picture.save(temporary, format="PNG"))
