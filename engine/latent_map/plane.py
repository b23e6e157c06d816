"""A plane through a latent space: the 2-D slice a latent map draws.

A point (u, v) of the map, each in [-1, 1] across the drawn square, is the latent
z = origin + u * extent[0] * axes[0] + v * extent[1] * axes[1]. The axes are orthonormal, so
`project` (z back to map coordinates) is two dot products, and a z on the plane comes back where
it was. u runs left to right, v bottom to top. Random planes pass through the prior's centre (0)
along two seeded random directions; principal planes come from engine/latent_map/principal.py.
Torch-free (numpy only): the window may hold and project planes on its own thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.errors import InvalidRecipe

RANDOM, PRINCIPAL = "random", "principal"
KINDS = (RANDOM, PRINCIPAL)
PRIOR_EXTENT = 2.5  # half-width along a unit direction of the N(0, I) prior: +-2.5 sd covers 99 % of it
MAX_GRID = 33  # cells per side of a decoded grid


@dataclass(frozen=True, eq=False)
class LatentPlane:
    origin: np.ndarray  # (D,) float64
    axes: np.ndarray  # (2, D) float64, orthonormal rows: the map's horizontal and vertical directions
    extent: tuple[float, float]  # latent units from the centre to the map's edge along each axis
    kind: str = RANDOM
    seed: int = 0  # random directions are drawn from it
    label: str | None = None  # the class a class-conditional GAN decodes with
    model: str = ""
    note: str = ""  # how it was made, one line for the map's caption
    spread: tuple[float, ...] = field(default=())  # principal: each axis's share of the variance (0..1)

    def __post_init__(self) -> None:
        origin = np.asarray(self.origin, dtype=np.float64)
        axes = np.asarray(self.axes, dtype=np.float64)
        if origin.ndim != 1 or axes.shape != (2, origin.shape[0]):
            raise ValueError(f"a plane needs an origin (D,) and axes (2, D), not {origin.shape} and {axes.shape}")
        if not np.allclose(axes @ axes.T, np.eye(2), atol=1e-6):
            raise ValueError("a plane's axes must be orthonormal")
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "axes", axes)

    @property
    def dim(self) -> int:
        return int(self.origin.shape[0])


def random_plane(dim: int, seed: int, *, label: str | None = None, model: str = "",
                 extent: float = PRIOR_EXTENT) -> LatentPlane:
    """Two random orthonormal directions through the prior's centre, the same for the same seed."""
    if dim < 2:
        raise InvalidRecipe(f"a latent map needs a latent space of 2 or more dimensions, not {dim}")
    gaussian = np.random.default_rng(seed).standard_normal((dim, 2))
    q, r = np.linalg.qr(gaussian)
    axes = (q * np.sign(np.diag(r))).T  # signs fixed by r: the same directions whatever LAPACK returns
    return LatentPlane(np.zeros(dim), axes, (extent, extent), RANDOM, seed, label, model,
                       f"random directions (seed {seed}) through the prior's centre, ±{extent:g} sd")


def point(plane: LatentPlane, u: float, v: float) -> np.ndarray:
    """The latent (D,) at map coordinates (u, v)."""
    return plane.origin + u * plane.extent[0] * plane.axes[0] + v * plane.extent[1] * plane.axes[1]


def project(plane: LatentPlane, z: np.ndarray) -> tuple[float, float]:
    """Map coordinates of z's orthogonal projection onto the plane (outside [-1, 1] when beyond the map)."""
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    if z.shape[0] != plane.dim:
        raise ValueError(f"a latent of {z.shape[0]} values does not fit this {plane.dim}-d plane")
    along = plane.axes @ (z - plane.origin)
    return float(along[0] / plane.extent[0]), float(along[1] / plane.extent[1])


def off_plane(plane: LatentPlane, z: np.ndarray) -> float:
    """How far z lies from the plane (latent units): what the map cannot show of it."""
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    offset = z - plane.origin
    return float(np.linalg.norm(offset - plane.axes.T @ (plane.axes @ offset)))


def grid_coordinates(n: int) -> np.ndarray:
    """(n*n, 2) map coordinates (u, v) of an n x n grid, row by row from the top left."""
    if not 2 <= n <= MAX_GRID:
        raise InvalidRecipe(f"a latent map grid has 2 to {MAX_GRID} cells a side, not {n}")
    ticks = np.linspace(-1.0, 1.0, n)
    return np.array([(u, v) for v in ticks[::-1] for u in ticks])


def grid_latents(plane: LatentPlane, n: int) -> np.ndarray:
    """(n*n, D) latents of the grid's cells, in grid_coordinates' order."""
    return np.stack([point(plane, u, v) for u, v in grid_coordinates(n)])
