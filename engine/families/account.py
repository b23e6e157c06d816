"""A plain account of what each family did for its samples, with the time it took.

Diffusion: N denoising steps, each one evaluation of its network (two with guidance), from pure
noise to a digit. A VAE or a GAN: one decode of a random vector. The times are the runs' own
(Finished.duration_s, the model already loaded), never figures kept here. Torch-free.
"""

from __future__ import annotations

from engine.kinds import Family
from engine.models.info import ModelInfo
from engine.recipe import Recipe
from engine.samplers.registry import SAMPLERS


def duration_text(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def what_it_did(info: ModelInfo, recipe: Recipe, seconds: float | None) -> str:
    """One sentence for one family's run (`recipe` as run: the model's defaults filled in)."""
    took = "" if seconds is None else f": {duration_text(seconds)} for {recipe.batch} sample{'s' * (recipe.batch != 1)}"
    label = recipe.label
    if info.family == Family.DIFFUSION:
        spec = SAMPLERS.get(recipe.sampler)
        sampler = spec.display_name if spec is not None else recipe.sampler
        guided = recipe.guidance is not None and recipe.guidance > 1.0 and label is not None
        passes = f", guidance {recipe.guidance:g}: two network passes a step" if guided else ""
        per_step = "" if seconds is None else f" ({duration_text(seconds / max(1, recipe.steps))} a step)"
        return (f"{recipe.steps} denoising steps ({sampler}{passes}) from pure noise; each step removes part of the "
                f"noise its network predicts{took}{per_step}.")
    size = f"{info.latent_dim}-number " if info.latent_dim else ""
    given = f" and the label {label}" if label is not None else " (no label: any digit)"
    network = "decoder" if info.family == Family.VAE else "generator"
    return f"One decode: a random {size}vector z{given} through its {network}, once{took}."


def timing_line(runs: list[tuple[ModelInfo, Recipe, float]]) -> str:
    """How much longer diffusion's steps took than the quickest one-pass decode, from the runs' times."""
    diffusion = [(info, recipe, s) for info, recipe, s in runs if info.family == Family.DIFFUSION]
    decoders = [(info, recipe, s) for info, recipe, s in runs if info.family != Family.DIFFUSION]
    if not diffusion or not decoders:
        return ""
    info, recipe, seconds = diffusion[0]
    fastest = min(decoders, key=lambda run: run[2])
    ratio = seconds / max(fastest[2], 1e-6)
    return (f"{info.name} took {duration_text(seconds)} for {recipe.steps} steps: {ratio:,.0f}x the "
            f"{duration_text(fastest[2])} of {fastest[0].name}'s one decode.")
