"""A recipe in one line, for a side window's "Base recipe" (Run > Sweep…, Run > Interpolate…).

What the window itself varies (a sweep's axes, an interpolation's seeds) is left out, so the line
says only what every cell or frame shares.
"""

from __future__ import annotations

from pathlib import Path

from engine.samplers.registry import NO_SAMPLER, SAMPLERS


def recipe_summary(recipe, left_out: frozenset[str] = frozenset()) -> str:
    """Model · conditioning · sampler · steps · CFG · seed, without the `Recipe` attributes in `left_out`."""
    spec = SAMPLERS.get(recipe.sampler)
    diffusion = recipe.sampler != NO_SAMPLER
    parts = {"model": Path(str(recipe.model)).name, "conditioning": recipe.conditioning.describe(),
             "sampler": (spec.display_name if spec else recipe.sampler) if diffusion else "",
             "steps": f"{recipe.steps} steps" if diffusion else "",
             "guidance": f"CFG {recipe.guidance:g}" if diffusion and recipe.guidance is not None else "",
             "seed": f"seed {recipe.seed}"}
    return " · ".join(text for name, text in parts.items() if text and name not in left_out)
