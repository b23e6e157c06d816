"""The heat map's colours: Green's cubehelix, computed here with NumPy (no plotting library).

Cubehelix (D. A. Green 2011, "A colour scheme for the display of astronomical intensity
images", Bull. Astr. Soc. India 39, 289) runs from black to white through a helix of hues,
its perceived brightness rising steadily, so a difference reads the same in colour, in grey and
to colour-blind eyes. The parameters are matplotlib's `cubehelix` defaults (start 0.5,
rotations -1.5, hue 1, gamma 1). Built once, as a 256 x 3 uint8 table.
"""

from __future__ import annotations

import numpy as np

START, ROTATIONS, HUE, GAMMA = 0.5, -1.5, 1.0, 1.0


def cubehelix(levels: int = 256) -> np.ndarray:
    """(levels, 3) uint8 RGB, from black (0) to white (levels - 1)."""
    fraction = np.linspace(0.0, 1.0, levels) ** GAMMA
    angle = 2 * np.pi * (START / 3 + ROTATIONS * fraction)
    amplitude = HUE * fraction * (1 - fraction) / 2
    cos, sin = np.cos(angle), np.sin(angle)
    rgb = fraction[:, None] + amplitude[:, None] * np.stack(
        [-0.14861 * cos + 1.78277 * sin, -0.29227 * cos - 0.90649 * sin, 1.97294 * cos], axis=1)
    return np.round(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)


TABLE = cubehelix()
TABLE.flags.writeable = False
