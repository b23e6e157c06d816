"""How far apart two images are: |A - B| per pixel, its heat map, and the numbers.

Images are (H, W, C) uint8, C 1 or 3 (a grey image beside a colour one is compared in RGB).
The mean absolute difference is in 0-255 levels, averaged over pixels and channels; PSNR is
10 log10(255^2 / mean squared difference), in dB, infinite for identical images. The heat map
has a fixed scale (0 to `scale` levels, default the whole range) so frames of one comparison
stay comparable with one another; brighter is further apart.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from engine.compare.colormap import TABLE

FULL_SCALE = 255


@dataclass(frozen=True)
class Difference:
    mean_abs: float  # mean |A - B| in 0-255 levels
    psnr_db: float  # math.inf when A equals B

    def text(self) -> str:
        psnr = "identical" if math.isinf(self.psnr_db) else f"PSNR {self.psnr_db:.1f} dB"
        return f"mean |diff| {self.mean_abs:.1f}, {psnr}"

    def to_dict(self) -> dict[str, float | None]:
        """JSON values (an infinite PSNR as null)."""
        return {"mean_abs": round(self.mean_abs, 4),
                "psnr_db": None if math.isinf(self.psnr_db) else round(self.psnr_db, 4)}


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if a.shape[:2] != b.shape[:2]:
        raise ValueError(f"images of different sizes cannot be compared: {a.shape[:2]} and {b.shape[:2]}")
    if a.shape[2] != b.shape[2]:  # grey beside colour: compared as colour
        a, b = np.broadcast_to(a, (*a.shape[:2], 3)), np.broadcast_to(b, (*b.shape[:2], 3))
    return a.astype(np.int16), b.astype(np.int16)


def absolute_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(H, W) float32: |A - B| per pixel, averaged over the channels, in 0-255 levels."""
    a16, b16 = _pair(a, b)
    return np.abs(a16 - b16).mean(axis=2, dtype=np.float32)


def difference(a: np.ndarray, b: np.ndarray) -> Difference:
    a16, b16 = _pair(a, b)
    delta = (a16 - b16).astype(np.float64)
    mse = float(np.mean(delta * delta))
    psnr = math.inf if mse == 0 else 10 * math.log10(FULL_SCALE ** 2 / mse)
    return Difference(float(np.mean(np.abs(delta))), psnr)


def compare_images(a: np.ndarray, b: np.ndarray, scale: float = FULL_SCALE) -> tuple[np.ndarray, Difference]:
    """(heat map (H, W, 3) uint8, the numbers) in one pass over the pixels: what a comparison pane
    calls at every playhead move (a 4-way comparison of 512x512 RGB images has 6 pairs to redo)."""
    if a.shape[:2] != b.shape[:2]:
        raise ValueError(f"images of different sizes cannot be compared: {a.shape[:2]} and {b.shape[:2]}")
    if a.shape[2] != b.shape[2]:
        a, b = np.broadcast_to(a, (*a.shape[:2], 3)), np.broadcast_to(b, (*b.shape[:2], 3))
    delta = np.maximum(a, b) - np.minimum(a, b)  # |A - B| without leaving uint8
    channels = delta.shape[2]
    summed = delta[..., 0].astype(np.uint16)
    for channel in range(1, channels):
        summed += delta[..., channel]
    flat = delta.reshape(-1).astype(np.float32)
    mean_abs = float(summed.sum(dtype=np.uint64)) / flat.size
    mse = float(flat @ flat) / flat.size
    psnr = math.inf if mse == 0 else 10 * math.log10(FULL_SCALE ** 2 / mse)
    return np.take(_sum_table(channels, float(scale)), summed, axis=0), Difference(mean_abs, psnr)  # take: 4x [ ]


@functools.lru_cache(maxsize=16)
def _sum_table(channels: int, scale: float) -> np.ndarray:
    """Colour for each sum of the channels' differences (0 to 255 * channels)."""
    return heat_map(np.arange(FULL_SCALE * channels + 1, dtype=np.float32) / channels, scale)


def heat_map(distance: np.ndarray, scale: float = FULL_SCALE) -> np.ndarray:
    """(H, W) levels -> (H, W, 3) uint8 colours: 0 black, `scale` and above white."""
    if scale <= 0:
        raise ValueError(f"the heat map's scale must be above 0 levels, not {scale}")
    index = np.clip(np.rint(distance * (len(TABLE) - 1) / scale), 0, len(TABLE) - 1).astype(np.intp)
    return np.take(TABLE, index, axis=0)
