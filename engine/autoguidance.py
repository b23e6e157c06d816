"""Autoguidance: a diffusion model guided by a weaker version of itself (an earlier checkpoint).

Karras et al., "Guiding a Diffusion Model with a Bad Version of Itself" (NeurIPS 2024, arXiv
2406.02507): each step runs the model and its guide on the same input and the same conditioning,
and takes guide + w (model - guide), w the recipe's guidance. Where classifier-free guidance
contrasts a label with no label, this contrasts a good model with a bad one, so it also works with
no label, where the bundled digits model's own unconditional path is weak.

This module says which guide a recipe runs with and whether that guide fits the model (torch-free);
engine/diffusion_loop.py runs it, engine/run.py loads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import InvalidRecipe, ModelNotFound
from engine.kinds import Family
from engine.recipe_fields import DEFAULT_GUIDANCE, NO_GUIDE

if TYPE_CHECKING:
    from engine.models.info import ModelInfo
    from engine.recipe import Recipe

NOT_FOR_TEXT = "autoguidance works with pixel diffusion models such as digits-diffusion; not yet with text-to-image"
SELF_GUIDE = "a model cannot guide itself: pick a weaker checkpoint"


def takes_guide(info: ModelInfo) -> bool:
    return info.family == Family.DIFFUSION and not getattr(info, "takes_text", False)


def is_autoguided(recipe: Recipe) -> bool:
    """Whether a resolved recipe names a guide model (it runs one when its guidance is not 1)."""
    return recipe.guide_model not in (None, NO_GUIDE)


def resolve_guide(recipe: Recipe, info: ModelInfo) -> str | None:
    """The guide the recipe runs with on this model: a model name or path, NO_GUIDE, or None for a
    model that takes no guide (VAE, GAN, text-to-image); InvalidRecipe when one is asked of those."""
    asked = recipe.guide_model
    if not takes_guide(info):
        if asked not in (None, NO_GUIDE):
            raise InvalidRecipe(NOT_FOR_TEXT if getattr(info, "takes_text", False) else
                                f"autoguidance is for diffusion models; {info.name} is a {info.family} model, "
                                "which makes its image in one pass: leave the guide model unset")
        return None
    if asked is None and recipe.branch is not None:  # a branch runs its parent's guide (one per run)
        return recipe.branch.parent.check_against_model(info).guide_model
    if asked is None:  # the model's own guide, for runs without a label (with one, CFG is better)
        default = getattr(info, "default_guide", None)
        return default if default is not None and recipe.label is None else NO_GUIDE
    if asked in (info.name, recipe.model) or _same_folder(asked, info.source):
        raise InvalidRecipe(f"guide model {asked}: {SELF_GUIDE}")
    return asked


def autoguidance_weight(recipe: Recipe, info: ModelInfo) -> float:
    """w for an autoguided recipe: its guidance, or the model's default guide's weight when unset."""
    if recipe.guidance is not None:
        return recipe.guidance
    default = getattr(info, "default_guide_guidance", None)
    return default if default is not None else DEFAULT_GUIDANCE


def guide_problem(info: ModelInfo, guide: ModelInfo) -> str | None:
    """Why `guide` cannot guide `info` (known without loading either), or None when it can."""
    name = f"guide model {guide.name}"
    if not takes_guide(guide):
        kind = "text-to-image" if getattr(guide, "takes_text", False) else str(guide.family)
        return f"{name} is a {kind} model; a guide must be a pixel diffusion model like {info.name}"
    if (guide.height, guide.width, guide.channels) != (info.height, info.width, info.channels):
        return (f"{name} makes {guide.width}x{guide.height}x{guide.channels} images and {info.name} "
                f"{info.width}x{info.height}x{info.channels}: a guide must make the same size and channels")
    if tuple(guide.labels or ()) != tuple(info.labels or ()):
        return (f"{name} has labels {_labels(guide)} and {info.name} {_labels(info)}: a guide must have the same "
                "labels (both models are given the same one)")
    if guide.supports_guidance != info.supports_guidance:
        has, lacks = (guide.name, info.name) if guide.supports_guidance else (info.name, guide.name)
        return (f"{name}: {has} was trained with a null label (no label) and {lacks} was not; a guide must take "
                "the same no-label input")
    if guide.train_timesteps != info.train_timesteps:
        return (f"{name} was trained with {guide.train_timesteps} timesteps and {info.name} with "
                f"{info.train_timesteps}: a guide must use the same noise schedule")
    if guide.source == info.source or Path(guide.source).resolve() == Path(info.source).resolve():
        return f"{name}: {SELF_GUIDE}"  # last: the window asks this of every model on each refresh
    return None


def loaded_problem(model, guide) -> str | None:
    """What only the loaded models tell (their null class id and prediction type), or None."""
    name = f"guide model {guide.info.name}"
    if guide.null_label != model.null_label:
        return (f"{name} takes class {guide.null_label} as its null label and {model.info.name} class "
                f"{model.null_label}: a guide must read the same labels the same way")
    if guide.prediction_type != model.prediction_type:
        return (f"{name} predicts {guide.prediction_type} and {model.info.name} {model.prediction_type}: a guide "
                "must predict the same quantity")
    return None


def find_guide(recipe: Recipe, info: ModelInfo, extra_model_paths: Iterable[Path] = ()) -> ModelInfo | None:
    """The resolved recipe's guide, found and checked against the model; None when it runs none."""
    from engine.models.catalog import find_model

    if not is_autoguided(recipe):  # loaded at w = 1 too: a branch's parent may run another w on it
        return None
    assert recipe.guide_model is not None
    try:
        guide = find_model(recipe.guide_model, extra_model_paths)
    except ModelNotFound as exc:
        raise ModelNotFound(f"guide model: {exc.message}") from None
    problem = guide_problem(info, guide)
    if problem is not None:
        raise InvalidRecipe(problem)
    return guide


def compatible_guides(info: ModelInfo, models: Iterable[ModelInfo]) -> list[ModelInfo]:
    """The models that may guide `info` (the window's list)."""
    return [m for m in models if takes_guide(info) and guide_problem(info, m) is None]


def _labels(info: ModelInfo) -> str:
    return f"{len(info.labels)} ({', '.join(info.labels[:4])}{', ...' if len(info.labels) > 4 else ''})" \
        if info.labels else "none"


def _same_folder(asked: str, source: str) -> bool:
    try:
        return Path(asked).expanduser().resolve() == Path(source).resolve()
    except (OSError, RuntimeError, ValueError):
        return False
