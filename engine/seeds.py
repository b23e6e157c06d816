"""Which seeds sample i of a batch starts from, as AUTOMATIC1111 numbers them.

Without a variation, sample i takes seed + i. With a variation strength above 0 every sample
keeps the seed and takes variation seed + i instead (A1111's processing.py does the same:
a batch of variations of one image). The noise itself is drawn in engine/noise.py; the PNG
writer, file names and `show` read the numbers here. Torch-free: anything may import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.recipe import Recipe


def has_variation(recipe: Recipe) -> bool:
    return recipe.variation_strength != 0.0


def sample_seed(recipe: Recipe, index: int) -> int:
    """The seed sample `index` of the batch starts from (and draws its ancestral noise from)."""
    return recipe.seed if has_variation(recipe) else recipe.seed + index


def sample_variation_seed(recipe: Recipe, index: int) -> int | None:
    """The variation seed of sample `index`; None when the recipe has no variation."""
    return recipe.variation_seed + index if has_variation(recipe) else None


def sample_tag(recipe: Recipe, index: int) -> str:
    """`seed42`, or `seed42-var7` with a variation: a file name part unique within the batch."""
    variation = sample_variation_seed(recipe, index)
    return f"seed{sample_seed(recipe, index)}" + (f"-var{variation}" if variation is not None else "")
