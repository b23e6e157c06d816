"""A drawing (or a dropped picture) made to look like an MNIST digit, as the digits models were trained.

MNIST's recipe (LeCun et al.): the digit's bounding box scaled to fit 20x20 pixels (aspect kept,
anti-aliased), then placed in a 28x28 field so that its centre of mass sits at the centre. White
strokes on black: a picture with a light background (a photo of ink on paper) is inverted first.
The 32x32 digits models see it padded by 2 px of black (engine/init_image_files.py does that).
Numpy and Pillow only: the window calls it on the GUI thread (a few hundred pixels).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from engine.errors import InvalidRecipe

DIGIT_SIZE = 28  # the MNIST field
BOX = 20  # the digit's bounding box is scaled to fit this
INK = 32  # a pixel brighter than this (of 255) is ink when finding the digit's box


def mnist_like(pixels: np.ndarray) -> np.ndarray:
    """uint8 (H, W) or (H, W, C) -> uint8 (28, 28): the digit boxed to 20x20 and centred by mass.
    A blank drawing stays blank (all zeros)."""
    gray = _gray(pixels)
    if gray.mean() > 127:  # dark ink on a light background: MNIST is the other way round
        gray = 255 - gray
    rows, cols = np.nonzero(gray > INK)
    out = np.zeros((DIGIT_SIZE, DIGIT_SIZE), np.uint8)
    if rows.size == 0:
        return out
    box = gray[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = BOX / max(box.shape)
    height, width = max(1, round(box.shape[0] * scale)), max(1, round(box.shape[1] * scale))
    digit = np.asarray(Image.fromarray(box).resize((width, height), Image.Resampling.LANCZOS))
    mass = digit.astype(np.float64)
    total = mass.sum() or 1.0
    centre_y = (mass.sum(axis=1) * np.arange(height)).sum() / total
    centre_x = (mass.sum(axis=0) * np.arange(width)).sum() / total
    top = int(np.clip(round(DIGIT_SIZE / 2 - centre_y - 0.5), 0, DIGIT_SIZE - height))
    left = int(np.clip(round(DIGIT_SIZE / 2 - centre_x - 0.5), 0, DIGIT_SIZE - width))
    out[top:top + height, left:left + width] = digit
    return out


def read_picture(data: bytes, name: str = "the file") -> np.ndarray:
    """A dropped file's pixels, uint8 (H, W) grayscale; InvalidRecipe when it is not a picture."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
            if picture.mode in ("RGBA", "LA", "P"):  # transparent background: count it as paper (white)
                rgba = picture.convert("RGBA")
                paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                picture = Image.alpha_composite(paper, rgba)
            return np.asarray(picture.convert("L"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidRecipe(f"{name} is not a picture that can be read (PNG, JPEG, WebP ...): {exc}") from None


def png_bytes(pixels: np.ndarray) -> bytes:
    """uint8 (H, W) as PNG bytes (what the window keeps as the drawing's init image)."""
    buffer = io.BytesIO()
    Image.fromarray(_gray(pixels)).save(buffer, format="PNG")
    return buffer.getvalue()


def _gray(pixels: np.ndarray) -> np.ndarray:
    pixels = np.asarray(pixels)
    if pixels.ndim == 3:
        pixels = pixels[..., 0] if pixels.shape[-1] == 1 else pixels[..., :3].mean(axis=-1)
    return np.clip(pixels, 0, 255).astype(np.uint8)
