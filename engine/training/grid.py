"""Sample grids as PNG: uint8 images tiled, upscaled with nearest-neighbour so pixels stay visible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from engine.atomic import write_atomically


def tile(images: np.ndarray, columns: int, gap: int = 1) -> np.ndarray:
    """uint8 (N, H, W) or (N, H, W, 1) -> one (rows*(H+gap)-gap, ...) uint8 image, grey gaps."""
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    count, height, width = images.shape
    rows = -(-count // columns)
    sheet = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), 96, np.uint8)
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        sheet[row * (height + gap):row * (height + gap) + height,
              column * (width + gap):column * (width + gap) + width] = image
    return sheet


def save_grid(images: np.ndarray, path: Path, columns: int = 10, scale: int = 4) -> Path:
    sheet = tile(images, columns)
    picture = Image.fromarray(sheet).resize((sheet.shape[1] * scale, sheet.shape[0] * scale), Image.NEAREST)
    return write_atomically(Path(path), lambda temporary: picture.save(temporary, format="PNG"))
