"""The seed plane (NVIDIA's StyleGAN3 visualizer): a point between four seeds.

The recipe's seed sits at corner (0, 0) of a unit square and the seed plane's three seeds at
(1, 0), (0, 1) and (1, 1). A point (x, y) in the square weighs each corner's start noise
bilinearly, as StyleGAN3's latent widget weighs its seeds, and the blend is renormalised: a
weighted sum of independent N(0, I) draws has variance sum(w^2), so it is divided by
sqrt(sum(w^2)), which makes it N(0, I) again (the norm the model was trained to expect; a plain
bilinear blend at the centre would have half of it). At a corner that divisor is 1, so the
start noise is that corner seed's bit for bit. Sample i of a batch takes each corner seed + i.
The ancestral noise (Euler a, DDPM) comes from the recipe's seed, as for variations.

Written as one recipe field (engine/recipe_fields.py `seed_plane`), so a run on the plane is
remade from its recipe. Torch-free; the noise itself is engine/latent_map/seed_noise.py's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from engine.errors import InvalidRecipe

_TEXT = re.compile(r"^\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*@\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class SeedPlane:
    seeds: tuple[int, int, int]  # the corners (1, 0), (0, 1), (1, 1); the recipe's seed is (0, 0)
    x: float
    y: float

    def __post_init__(self) -> None:
        from engine.recipe_fields import MAX_SEED  # that table imports this module

        seeds = self.seeds
        if not isinstance(seeds, (tuple, list)) or len(seeds) != 3:
            raise InvalidRecipe(f"a seed plane names 3 seeds (its corners besides the recipe's seed), not {seeds!r}")
        for seed in seeds:
            if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
                raise InvalidRecipe(f"a seed plane's seeds are whole numbers from 0 to {MAX_SEED}, not {seed!r}")
        for name in ("x", "y"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) \
                    or not 0.0 <= value <= 1.0:
                raise InvalidRecipe(f"a point on the seed plane has x and y from 0 to 1, not {name} = {value!r}")
            object.__setattr__(self, name, float(value))
        object.__setattr__(self, "seeds", tuple(seeds))

    def corners(self, seed: int) -> tuple[int, int, int, int]:
        """The four corner seeds, (0, 0) first, for a recipe whose seed is `seed`."""
        return (seed, *self.seeds)

    def weights(self) -> tuple[float, float, float, float]:
        """Each corner's bilinear weight at the point, in corners' order; they sum to 1."""
        x, y = self.x, self.y
        return ((1 - x) * (1 - y), x * (1 - y), (1 - x) * y, x * y)

    def describe(self) -> str:
        return f"{self.seeds[0]}, {self.seeds[1]}, {self.seeds[2]} @ {self.x:g}, {self.y:g}"

    def to_dict(self) -> dict[str, Any]:
        return {"seeds": list(self.seeds), "x": self.x, "y": self.y}

    @classmethod
    def from_value(cls, value: Any) -> SeedPlane:
        """A SeedPlane, its dict from JSON or its text (`11, 12, 13 @ 0.25, 0.5`); InvalidRecipe otherwise."""
        if isinstance(value, SeedPlane):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        if not isinstance(value, dict) or set(value) != {"seeds", "x", "y"}:
            raise InvalidRecipe(f"a seed plane is {{seeds: [3 seeds], x, y}}, not {value!r:.80}")
        seeds = value["seeds"]
        if not isinstance(seeds, list):
            raise InvalidRecipe(f"a seed plane's seeds are a list of 3 seeds, not {seeds!r:.80}")
        return cls(tuple(seeds), value["x"], value["y"])  # checked in __post_init__

    @classmethod
    def parse(cls, text: str) -> SeedPlane:
        match = _TEXT.match(text)
        if match is None:
            raise InvalidRecipe(f"a seed plane is written `S10, S01, S11 @ X, Y` (three seeds, then the point, x and "
                                f"y from 0 to 1), not {text!r:.80}")
        try:
            x, y = float(match[4]), float(match[5])
        except ValueError:
            raise InvalidRecipe(f"the point on the seed plane must be two numbers, not {match[4]}, {match[5]}") from None
        return cls((int(match[1]), int(match[2]), int(match[3])), x, y)


def corner_point(corner: int) -> tuple[float, float]:
    """(x, y) of corner 0..3 in the corners' order."""
    return (float(corner % 2), float(corner // 2))
