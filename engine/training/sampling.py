"""Sampling a bundled model through engine.run, so what training and evaluation see is what users get."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.conditioning import conditioning_from
from engine.events import Failed, Finished
from engine.model_cache import ModelCache
from engine.recipe import DEFAULT_STEPS, Recipe
from engine.recipe_fields import FITTED_PRIOR
from engine.run import run

if TYPE_CHECKING:
    from engine.models.info import ModelInfo


def generate(model: Path | str, count: int, *, seed: int = 0, label: str | None = None, steps: int = DEFAULT_STEPS,
             sampler: str = "dpmpp_2m", guidance: float | None = None, batch: int = 100,
             device: str = "cpu") -> np.ndarray:
    """`count` images, uint8 (count, H, W, C), in batches; a fresh cache so new weights are always read."""
    return run_recipes(sample_recipes(model, count, seed=seed, label=label, steps=steps, sampler=sampler,
                                      guidance=guidance, batch=batch, device=device), ModelCache())


def sample_recipes(model: Path | str, count: int, *, seed: int = 0, label: str | None = None,
                   steps: int = DEFAULT_STEPS, sampler: str = "dpmpp_2m", guidance: float | None = None,
                   batch: int = 100, device: str = "cpu", latent_prior: str = FITTED_PRIOR,
                   guide_model: str | None = None) -> list[Recipe]:
    """The runs that make `count` samples, `batch` at a time: sample i has seed `seed + i` however
    they are batched (engine/noise.py), so the samples do not depend on `batch`. guide_model None:
    the model's default (its autoguidance guide when no label is asked)."""
    recipes = []
    for done in range(0, count, batch):
        recipes.append(Recipe(model=str(model), sampler=sampler, steps=steps, seed=seed + done,
                              batch=min(batch, count - done), conditioning=conditioning_from(label), device=device,
                              guidance=guidance if label is not None else None,  # unlabelled: the default
                              latent_prior=latent_prior, guide_model=guide_model))
    return recipes


def run_recipes(recipes: list[Recipe], cache: ModelCache) -> np.ndarray:
    """The final images of the runs, one after another, concatenated."""
    chunks: list[np.ndarray] = []
    for recipe in recipes:
        result = None
        for event in run(recipe, cache=cache, previews=False):
            if isinstance(event, (Finished, Failed)):
                result = event
        if not isinstance(result, Finished):
            raise RuntimeError(f"sampling {recipe.model} failed: {getattr(result, 'message', result)}")
        chunks.append(np.asarray(result.images))
    return np.concatenate(chunks)


def per_label_grid(model: Path | str, family: str, labels: list[str] | None, per_label: int = 10,
                   seed: int = 0, steps: int = DEFAULT_STEPS) -> np.ndarray:
    """A row per label (or rows of unconditional samples): uint8 (N, H, W, C)."""
    steps = steps if family == "diffusion" else 1
    if not labels:
        return generate(model, 10 * per_label, seed=seed, steps=steps)
    return np.concatenate([generate(model, per_label, seed=seed, label=label, steps=steps) for label in labels])


def draws_without_label(info: ModelInfo) -> bool:
    """A class-conditional diffusion model that also draws with no label (it learned a null label)."""
    return info.family == "diffusion" and bool(info.labels) and not info.requires_label


def card_samples(info: ModelInfo, steps: int = DEFAULT_STEPS) -> np.ndarray:
    """A model card's grid: a row per label (seeds 0-9, the app's defaults) and, for a model that also
    draws with no label, a last row without one (autoguided when the model has a guide), as users get them."""
    images = per_label_grid(info.source, info.family, list(info.labels or []) or None, steps=steps)
    if draws_without_label(info):
        images = np.concatenate([images, generate(info.source, 10, seed=0, steps=steps)])
    return images
