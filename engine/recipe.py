"""Recipe: a frozen, validated description of one generation.

The same recipe on the same device gives the same pixels; every export and history row
carries one. Validation happens on construction, so a Recipe that exists is a valid one;
`check_against_model` adds the checks that need the model (labels, guidance, size) and makes
the recipe concrete (family, guidance and guide model filled in). The fields, their ranges, labels and texts
are one table, engine/recipe_fields.py; older recipe dicts are read through
engine/recipe_migration.py. Torch-free: anything may import it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from engine.autoguidance import autoguidance_weight, resolve_guide, takes_guide
from engine.branch import Branch
from engine.conditioning import (
    ClassLabel,
    Conditioning,
    TextPrompt,
    Unconditional,
    conditioning_from,
    conditioning_to_dict,
)
from engine.errors import InvalidRecipe
from engine.init_image import DEFAULT_STRENGTH, InitImage, check_strength
from engine.kinds import Family
from engine.latent_map.seed_plane import SeedPlane
from engine.recipe_fields import (
    DEFAULT_GUIDANCE,
    DEVICES,
    FIELDS,
    FITTED_PRIOR,
    MAX_BATCH,
    MAX_SEED,
    MAX_STEPS,
    NO_GUIDE,
    STANDARD_PRIOR,
)
from engine.recipe_migration import RECIPE_VERSION, VERSION_KEY, migrate
from engine.samplers.registry import NO_SAMPLER, SAMPLERS, check_schedule
from engine.samplers.schedules import DEFAULT_SCHEDULE

if TYPE_CHECKING:
    from engine.models.info import ModelInfo

FAMILIES = tuple(f.value for f in Family)
DEFAULT_STEPS = 30  # a diffusion recipe's steps when none are asked (the app's, the CLI's, evaluate's)
SIZE_MULTIPLE = 8  # what a model that takes sizes needs unless its ModelInfo says otherwise
# Shorthand keywords Recipe(...) and replace(...) take for the conditioning.
_SHORTHAND = ("label", "prompt", "negative_prompt")

__all__ = ["DEFAULT_GUIDANCE", "DEVICES", "FAMILIES", "MAX_BATCH", "MAX_SEED", "MAX_STEPS", "RECIPE_VERSION",
           "Recipe"]


@dataclass(frozen=True)
class Recipe:
    """Fields in the order of the field table. `Recipe(label="7")` and `Recipe(prompt=...,
    negative_prompt=...)` are accepted as shorthand for the conditioning."""

    model: str = "digits-diffusion"
    family: Family | None = None  # filled from the model when the recipe is resolved
    conditioning: Conditioning = Unconditional()
    latent_prior: str = FITTED_PRIOR  # a VAE with a fitted prior: draw from it, or from N(0, I) ("standard")
    sampler: str = "dpmpp_2m"
    schedule: str = DEFAULT_SCHEDULE
    steps: int = DEFAULT_STEPS
    guidance: float | None = None  # None: the model's own default; with a guide model, the autoguidance weight
    guide_model: str | None = None  # autoguidance's weaker model; None: the model's default, "none": no guide
    seed: int = 0
    variation_seed: int = 0  # A1111's variation ("subseed"): its noise is slerped in by variation_strength
    variation_strength: float = 0.0
    batch: int = 1
    eta: float = 0.0
    width: int | None = None  # None: the model's size; ignored by models with a fixed size
    height: int | None = None
    device: str = "auto"
    branch: Branch | None = None  # a branch: its parent run and the step it continues from (engine/branch.py)
    init_image: InitImage | None = None  # image-to-image: the picture the run starts from (engine/init_image.py)
    strength: float = DEFAULT_STRENGTH  # its denoising strength; means nothing without an init image (as in A1111)
    seed_plane: SeedPlane | None = None  # a point between the seed and 3 more (engine/latent_map/seed_plane.py)

    def __post_init__(self) -> None:
        for row in FIELDS:  # types and ranges, from the table; values normalised (sampler names to ids)
            object.__setattr__(self, row.name, row.check(getattr(self, row.name)))
        if self.eta != 0.0 and self.sampler != NO_SAMPLER and not SAMPLERS[self.sampler].uses_eta:
            users = ", ".join(s.display_name for s in SAMPLERS.values() if s.uses_eta)
            raise InvalidRecipe(
                f"eta only applies to {users}; {SAMPLERS[self.sampler].display_name} ignores it. Leave eta at 0"
            )
        if self.sampler != NO_SAMPLER:
            check_schedule(self.sampler, self.schedule)
        if self.branch is not None:
            self.branch.check_child(self)
        if self.seed_plane is not None and self.variation_strength != 0.0:
            raise InvalidRecipe("a point on the seed plane blends its own seeds' noise: leave the variation "
                                "strength at 0")

    # -- conditioning shorthands (read-only) ---------------------------------------------------
    @property
    def label(self) -> str | None:
        return self.conditioning.label if isinstance(self.conditioning, ClassLabel) else None

    @property
    def prompt(self) -> str | None:
        return self.conditioning.prompt if isinstance(self.conditioning, TextPrompt) else None

    @property
    def negative_prompt(self) -> str | None:
        return self.conditioning.negative if isinstance(self.conditioning, TextPrompt) else None

    def replace(self, **changes: Any) -> Recipe:
        """A copy with these fields changed; `label=`/`prompt=` replace the conditioning."""
        return replace(self, **_with_conditioning(changes, None))

    # -- JSON ------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {VERSION_KEY: RECIPE_VERSION}
        for row in fields(self):
            value = getattr(self, row.name)
            if row.name in ("branch", "seed_plane", "guide_model") and value is None:
                continue  # a plain run's JSON stays as before branches existed (and a VAE's as before guides)
            if row.name == "latent_prior" and value == FITTED_PRIOR:
                continue  # and as before fitted priors existed (the default: the model's own prior)
            if self.init_image is None and (row.name == "init_image" or (
                    row.name == "strength" and value == DEFAULT_STRENGTH)):
                continue  # and as before image-to-image existed
            data[row.name] = conditioning_to_dict(value) if row.name == "conditioning" else (
                value.value if isinstance(value, Family) else
                value.to_dict() if isinstance(value, (Branch, InitImage, SeedPlane)) else value)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        """A recipe from its dict, of this version or an older one (recipe_migration.py)."""
        data = migrate(data)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidRecipe(f"unknown recipe field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidRecipe(f"recipe is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidRecipe("recipe JSON must be an object")
        return cls.from_dict(data)

    # -- against a model -------------------------------------------------------------------------
    def check_against_model(self, info: ModelInfo) -> Recipe:
        """The recipe made concrete for this model, or InvalidRecipe saying what does not fit."""
        if self.family not in (None, info.family):
            raise InvalidRecipe(f"model {info.name} is a {info.family} model, but the recipe says {self.family}")
        _check_conditioning(self.conditioning, info)
        _check_latent_prior(self, info)
        width, height = _size(self, info)
        guide = resolve_guide(self, info)  # explicit, so a recipe says which guide ran (or "none")
        recipe = replace(self, family=Family(info.family), guidance=_guidance(self, info, guide), guide_model=guide,
                         width=width, height=height, latent_prior=_latent_prior(self, info))
        if self.init_image is not None and info.family != Family.DIFFUSION:
            raise InvalidRecipe(f"model {info.name} is a {info.family} model: it decodes a random vector in one "
                                "pass, with no steps to start part-way, so it takes no init image; pick a diffusion "
                                "model for image-to-image" + (" (or encode the drawing with the VAE)"
                                                              if info.family == Family.VAE else ""))
        if info.family == Family.DIFFUSION:
            if self.init_image is not None and self.branch is None:  # a branch's strength is its root's
                check_strength(self.steps, self.strength)
            if self.sampler == NO_SAMPLER:
                raise InvalidRecipe("a diffusion model needs a sampler (see `noisescope samplers`)")
            if info.train_timesteps is not None and self.steps > info.train_timesteps:
                raise InvalidRecipe(f"model {info.name} was trained with {info.train_timesteps} timesteps: use at "
                                    f"most {info.train_timesteps} steps (not {self.steps})")
            return recipe
        # VAE and GAN decode in one pass: no sampler, no schedule, one step.
        return replace(recipe, sampler=NO_SAMPLER, schedule=DEFAULT_SCHEDULE, steps=1, eta=0.0)


def _with_conditioning(changes: dict[str, Any], current: Conditioning | None) -> dict[str, Any]:
    """changes with label/prompt/negative_prompt turned into a conditioning."""
    shorthand = {key: changes.pop(key) for key in _SHORTHAND if key in changes}
    if not shorthand:
        return changes
    if "conditioning" in changes:
        raise InvalidRecipe(f"give the conditioning or {' / '.join(shorthand)}, not both")
    changes["conditioning"] = conditioning_from(shorthand.get("label"), shorthand.get("prompt"),
                                                shorthand.get("negative_prompt") or "")
    return changes


_dataclass_init = Recipe.__init__


def _init(self: Recipe, *args: Any, **kwargs: Any) -> None:
    _dataclass_init(self, *args, **_with_conditioning(kwargs, None))


_init.__doc__ = Recipe.__init__.__doc__
Recipe.__init__ = _init  # type: ignore[method-assign]  # the shorthands, on top of the generated __init__


def _check_conditioning(conditioning: Conditioning, info: ModelInfo) -> None:
    if isinstance(conditioning, ClassLabel):
        if not info.labels:
            raise InvalidRecipe(f"model {info.name} has no class labels; leave the label empty")
        if conditioning.label not in info.labels:
            raise InvalidRecipe(
                f"model {info.name} has no label {conditioning.label!r}; its labels are {', '.join(info.labels)}"
            )
    elif isinstance(conditioning, TextPrompt):
        if not getattr(info, "takes_text", False):
            raise InvalidRecipe(f"model {info.name} takes no text prompt; "
                                + (f"pick a class label ({', '.join(info.labels)})" if info.labels else
                                   "leave the prompt empty"))
    elif getattr(info, "takes_text", False):
        raise InvalidRecipe(f"model {info.name} draws from a text prompt; write one (--prompt \"...\" on the CLI)")
    elif info.requires_label and info.labels:
        raise InvalidRecipe(f"model {info.name} needs a class label; its labels are {', '.join(info.labels)}")


def _check_latent_prior(recipe: Recipe, info: ModelInfo) -> None:
    if recipe.latent_prior == STANDARD_PRIOR and recipe.label is not None and getattr(info, "latent_prior", None):
        raise InvalidRecipe(f"latent prior standard draws z ~ N(0, I) for the plain VAE, whose decoder takes no "
                            f"class, so label {recipe.label!r} cannot be honoured: leave the label empty, or set "
                            "latent prior to fitted to draw that class")


def _latent_prior(recipe: Recipe, info: ModelInfo) -> str:
    # Only a model with a fitted prior has two to choose from; for any other the field means nothing
    # (as the denoising strength without an init image) and is kept at its default.
    return recipe.latent_prior if getattr(info, "latent_prior", None) else FITTED_PRIOR


def model_default_guidance(info: ModelInfo) -> float | None:
    """The guidance a recipe that leaves it unset runs with on this model (None: no guidance)."""
    if not info.supports_guidance:
        return None
    default = getattr(info, "default_guidance", None)
    return default if default is not None else DEFAULT_GUIDANCE


def _guidance(recipe: Recipe, info: ModelInfo, guide: str | None) -> float | None:
    if guide not in (None, NO_GUIDE):  # autoguidance: the guidance is its weight w, with a label or without
        return autoguidance_weight(recipe, info)
    default = model_default_guidance(info)
    if info.supports_guidance and not isinstance(recipe.conditioning, Unconditional):
        return recipe.guidance if recipe.guidance is not None else default
    # Unguided: the default (or v1's stand-in for "unset", 3) is accepted and means nothing.
    if recipe.guidance not in (None, default, DEFAULT_GUIDANCE):
        why = "needs a class label" if info.supports_guidance else f"is not supported by {info.name}"
        guide = " (or a guide model, for autoguidance)" if takes_guide(info) else ""
        raise InvalidRecipe(f"guidance (classifier-free) {why}{guide}; leave it unset")
    return None


def _size(recipe: Recipe, info: ModelInfo) -> tuple[int | None, int | None]:
    """(width, height) for the recipe made concrete."""
    if getattr(info, "fixed_size", True):
        return None, None  # the model makes one size; a size asked is ignored
    multiple = getattr(info, "size_multiple", SIZE_MULTIPLE)
    width, height = recipe.width or info.width, recipe.height or info.height
    for name, value in (("width", width), ("height", height)):
        if value % multiple:
            below, above = value // multiple * multiple, (value // multiple + 1) * multiple
            raise InvalidRecipe(f"{name} {value} does not fit {info.name}: it must be a multiple of {multiple} "
                                f"(for example {below or above} or {above})")
    return width, height
