"""A plain account of what each family did for its samples, with the time it took.

Diffusion: N denoising steps, each one evaluation of its network (two with guidance: with a label,
classifier-free; without one, autoguidance by a weaker checkpoint when the model has one), from pure
noise to a digit. A VAE or a GAN: one decode of a random vector (a VAE with a fitted prior draws it
from one class's Gaussian: the label's, or a class drawn by its share of the training digits). The times are the runs' own
(Finished.duration_s, the model already loaded), never figures kept here. Torch-free.
"""

from __future__ import annotations

from engine.autoguidance import is_autoguided
from engine.kinds import Family
from engine.models.info import ModelInfo
from engine.recipe import Recipe
from engine.recipe_fields import STANDARD_PRIOR
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
        if is_autoguided(recipe) and recipe.guidance not in (None, 1.0):
            passes = (f", autoguided by {guide_name(recipe.guide_model)} at w {recipe.guidance:g}: its network and "
                      "the weaker guide's, two passes a step")
        per_step = "" if seconds is None else f" ({duration_text(seconds / max(1, recipe.steps))} a step)"
        return (f"{recipe.steps} denoising steps ({sampler}{passes}) from pure noise; each step removes part of the "
                f"noise its network predicts{took}{per_step}.")
    size = f"{info.latent_dim}-number " if info.latent_dim else ""
    if info.family == Family.VAE and info.latent_prior is not None and recipe.latent_prior != STANDARD_PRIOR:
        # the label (or a class drawn by its share of the training digits) picks a Gaussian; the decoder takes none
        where = (f"the Gaussian fitted to its encoded training {label}s" if label is not None else
                 "the Gaussian of a class drawn by its share of the training digits (no label: any digit)")
        return (f"One decode: a random {size}vector z from {where}, through its decoder (which takes no "
                f"label), once{took}.")
    given = f" and the label {label}" if label is not None else " (no label: any digit)"
    if info.family == Family.VAE and info.latent_prior is not None:  # its fitted prior switched off
        given = " from N(0, I), the standard prior: the plain VAE (no label: any digit)"
    network = "decoder" if info.family == Family.VAE else "generator"
    return f"One decode: a random {size}vector z{given} through its {network}, once{took}."


def guide_name(guide: str | None) -> str:
    """A guide given by its folder, by the folder's name."""
    return str(guide).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


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
