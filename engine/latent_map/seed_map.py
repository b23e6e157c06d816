"""The seed plane as a map: which recipe each point of the map runs (diffusion models).

The map's square is the seed plane's unit square: map coordinates (u, v) in [-1, 1] are the point
x = (u + 1) / 2, y = (v + 1) / 2, so the four corners of the map are the four seeds. While a point
is dragged the window runs its recipe with a few steps (`preview_recipe`); on release, the full
recipe (`point_recipe`) goes through the ordinary run, the history and the exports. Torch-free.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.latent_map.seed_plane import SeedPlane
from engine.recipe import Recipe
from engine.recipe_fields import MAX_SEED

PREVIEW_STEPS = 6  # enough for a digit's shape; a drag shows it in well under a second on a CPU


@dataclass(frozen=True)
class SeedSquare:
    """Four seeds at the corners of the map: (0, 0) bottom left, (1, 0), (0, 1), (1, 1) top right."""

    corners: tuple[int, int, int, int]

    @classmethod
    def from_seed(cls, seed: int) -> SeedSquare:
        """Four consecutive seeds from `seed` (moved down at the very top of the seed range)."""
        start = min(seed, MAX_SEED - 3)
        return cls((start, start + 1, start + 2, start + 3))

    def plane(self, u: float, v: float) -> SeedPlane:
        x, y = _unit(u), _unit(v)
        return SeedPlane(self.corners[1:], x, y)


def _unit(coordinate: float) -> float:
    return min(1.0, max(0.0, (coordinate + 1.0) / 2.0))


def point_recipe(base: Recipe, square: SeedSquare, u: float, v: float) -> Recipe:
    """The recipe of map point (u, v): the base's settings, one sample, the square's seeds blended there."""
    return base.replace(seed=square.corners[0], seed_plane=square.plane(u, v), batch=1, variation_strength=0.0,
                        variation_seed=0, branch=None)


def preview_recipe(recipe: Recipe, steps: int = PREVIEW_STEPS) -> Recipe:
    """The same point with at most `steps` steps: what a drag shows before the full run on release."""
    return recipe.replace(steps=min(recipe.steps, steps))
