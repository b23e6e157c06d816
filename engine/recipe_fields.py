"""The recipe's fields, one row each: what the window's form, the CLI flags, the A1111 text,
`show` and the history read, so no field is listed by hand anywhere else.

How to add a recipe field (say `clip_skip`):
  1. Add the attribute, with its default, to `Recipe` in engine/recipe.py (same place in the
     order as its row here; the default lives only there and `RecipeField.default` reads it).
  2. Add a `RecipeField` row to FIELDS below: its label and help (form, `--help`, `show`), its
     kind and range or choices (validation, form widget), `cli_flag` (a `generate` flag is made
     from the row) and `a1111_key` (written in and read from the `parameters` text).
     `applies` says for which models the form shows it.
  3. Use it where it has an effect (the pipeline that runs it) and test that effect.
  A recipe that lacks the field (an older file) gets the default; a new field never needs a
  migration unless an old value must be read differently (engine/recipe_migration.py).
  tests/engine/test_recipe.py fails while Recipe and this table disagree.

Each row converts its value to text and back (`to_text`, `from_text`), and `check` validates
and normalises a value (a sampler name to its id), raising InvalidRecipe with a message a person
understands. Torch-free: anything may import it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.branch import Branch
from engine.conditioning import ClassLabel, Conditioning, TextPrompt, Unconditional, conditioning_from_dict
from engine.errors import InvalidRecipe
from engine.init_image import InitImage
from engine.kinds import Family
from engine.latent_map.seed_plane import SeedPlane
from engine.samplers.registry import NO_SAMPLER, SAMPLERS, resolve_sampler_id
from engine.samplers.schedules import SCHEDULES, resolve_schedule_id

if TYPE_CHECKING:
    from engine.models.info import ModelInfo
    from engine.recipe import Recipe

MAX_STEPS = 1000
MAX_BATCH = 256
MAX_SEED = 2**63 - 1 - MAX_BATCH  # seed + sample index must stay a valid 64-bit seed
MAX_GUIDANCE = 30.0
MAX_SIZE = 8192
DEVICES = ("auto", "cpu", "cuda", "mps")
DEFAULT_GUIDANCE = 3.0  # the bundled digits model's; recipe version 1 stored it to mean "unset"
FITTED_PRIOR, STANDARD_PRIOR = "fitted", "standard"  # a VAE's latent prior: its fitted one, or N(0, I)
NO_GUIDE = "none"  # guide_model: no autoguidance (unset: the model's default guide)

# Widget kinds for the window's form.
INT, FLOAT, CHOICE, TEXT, MODEL, CONDITIONING = "int", "float", "choice", "text", "model", "conditioning"
BRANCH = "branch"  # not a form widget: set by branching a run (engine/branch.py)
SEED_PLANE = "seed_plane"  # not a form widget: set by the latent map (engine/latent_map/seed_plane.py)
IMAGE = "image"  # an image file (the init image): a file picker in the form, a path on the CLI


@dataclass(frozen=True)
class RecipeField:
    name: str  # the Recipe attribute
    label: str  # what a person sees: form row, `show`, history
    help: str  # one sentence: tooltip and `--help`
    kind: str  # INT, FLOAT, CHOICE, TEXT, MODEL or CONDITIONING: the form's widget
    optional: bool = False  # None allowed: "let the model decide" (unset_text says so)
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None  # a spin box's step
    choices: tuple[str, ...] = ()  # CHOICE: the ids allowed (choice_label gives each one's name)
    cli_flag: str | None = None  # `noisescope generate` flag; None: none
    cli_help: str | None = None  # when the flag's help differs from `help`
    # More flags for parts of one field: (flag, the Recipe(...) keyword it fills, help). The conditioning's
    # --prompt and --negative-prompt fill Recipe(prompt=..., negative_prompt=...).
    cli_parts: tuple[tuple[str, str, str], ...] = ()
    a1111_key: str | None = None  # key in the A1111 `parameters` text; None: not written
    a1111_aliases: tuple[str, ...] = ()  # other keys read as this field
    a1111_always: bool = False  # written even at its default (A1111 always writes Steps, Seed ...)
    unset_text: str = "model default"  # how None reads, for optional fields
    applies: Callable[[ModelInfo, Recipe | None], bool] = lambda info, recipe: True

    @property
    def default(self) -> Any:
        from engine.recipe import Recipe  # the default lives on the dataclass, once

        return Recipe.__dataclass_fields__[self.name].default

    def check(self, value: Any) -> Any:
        """The value normalised (a sampler name to its id, an int guidance to float), or InvalidRecipe."""
        if value is None:
            if self.optional:
                return None
            raise InvalidRecipe(f"{self.name} must be set")
        return _CHECKS[self.kind](self, value)

    def to_text(self, value: Any) -> str:
        if value is None:
            return self.unset_text
        if self.kind == FLOAT:
            return f"{value:g}"
        if self.kind in (CONDITIONING, BRANCH, IMAGE, SEED_PLANE):
            return value.describe()
        if self.kind == CHOICE:
            return self.choice_label(value)
        return str(value)

    def from_text(self, text: str) -> Any:
        """The value a person typed (a CLI flag, an A1111 value); InvalidRecipe if it is not one."""
        text = text.strip()
        if self.optional and text.lower() in ("", "default", "auto", self.unset_text):
            return None
        if self.kind == INT:
            try:
                return self.check(int(text))
            except ValueError:
                raise InvalidRecipe(f"{self.name} must be a whole number, not {text!r}") from None
        if self.kind == FLOAT:
            try:
                return self.check(float(text))
            except ValueError:
                raise InvalidRecipe(f"{self.name} must be a number, not {text!r}") from None
        if self.kind == IMAGE:
            return InitImage.from_file(text)  # a path typed; its bytes are hashed now
        if self.kind == CONDITIONING:
            return ClassLabel(text)  # the text form a person types is a label; prompts come with text models
        return self.check(text)

    def choice_label(self, value: str) -> str:
        """A choice's name for people: the sampler's "DPM++ 2M", the schedule's "Karras"."""
        if self.name == "sampler" and value in SAMPLERS:
            return SAMPLERS[value].display_name
        if self.name == "schedule" and value in SCHEDULES:
            return SCHEDULES[value].display_name
        return str(value)

    def choices_for(self, recipe: Recipe | None = None) -> tuple[str, ...]:
        """The choices that fit the rest of the recipe (the schedules its sampler takes)."""
        if self.name == "schedule" and recipe is not None and recipe.sampler in SAMPLERS:
            return SAMPLERS[recipe.sampler].schedules
        return self.choices

    def range_text(self) -> str:
        return f"between {_number(self.minimum)} and {_number(self.maximum)}"


def _number(value: float | None) -> str:
    return str(int(value)) if value is not None and float(value).is_integer() else f"{value:g}"


def _bounds(field: RecipeField) -> tuple[float, float]:
    if field.minimum is None or field.maximum is None:  # a mistake in FIELDS, not in the recipe
        raise TypeError(f"recipe field {field.name!r} is numeric but lacks a minimum or a maximum")
    return field.minimum, field.maximum


def _check_int(field: RecipeField, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecipe(f"{field.name} must be int, not {value!r}")
    minimum, maximum = _bounds(field)
    if not minimum <= value <= maximum:
        raise InvalidRecipe(f"{field.name} must be {field.range_text()}, not {value}")
    return value


def _check_float(field: RecipeField, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRecipe(f"{field.name} must be a number, not {value!r}")
    minimum, maximum = _bounds(field)
    if math.isnan(value) or not minimum <= value <= maximum:
        raise InvalidRecipe(f"{field.name} must be {field.range_text()}, not {value:g}")
    return float(value)


def _check_choice(field: RecipeField, value: Any) -> Any:
    if not isinstance(value, str):
        raise InvalidRecipe(f"{field.name} must be str, not {value!r}")
    if field.name == "sampler":
        return value if value == NO_SAMPLER else resolve_sampler_id(value)
    if field.name == "schedule":
        return resolve_schedule_id(value)
    if field.name == "family":
        try:
            return Family(value)
        except ValueError:
            raise InvalidRecipe(f"family {value!r} is not one of {', '.join(field.choices)}") from None
    if field.name == "device" and value.startswith("cuda:") and value[5:].isdigit():
        return value
    if value not in field.choices:
        raise InvalidRecipe(f"{field.name} {value!r} is not one of {', '.join(field.choices)}"
                            + (" (or cuda:N)" if field.name == "device" else ""))
    return value


def _check_text(field: RecipeField, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidRecipe(f"{field.name} must be str, not {value!r}")
    if not value.strip():
        raise InvalidRecipe(f"{field.name} is empty: name a model (see `noisescope models`) or a path")
    if field.name == "guide_model" and value.strip().lower() == NO_GUIDE:
        return NO_GUIDE
    return value


def _check_conditioning(field: RecipeField, value: Any) -> Conditioning:
    if isinstance(value, (Unconditional, ClassLabel, TextPrompt)):
        return value
    return conditioning_from_dict(value)  # a dict from JSON; InvalidRecipe if it is not one


def _check_branch(field: RecipeField, value: Any) -> Branch:
    return Branch.from_dict(value)  # a Branch, or its dict from JSON; InvalidRecipe if it is not one


def _check_image(field: RecipeField, value: Any) -> InitImage:
    return InitImage.from_value(value)  # an InitImage, or its dict from JSON; InvalidRecipe if it is not one


def _check_seed_plane(field: RecipeField, value: Any) -> SeedPlane:
    return SeedPlane.from_value(value)  # a SeedPlane, its dict or its text; InvalidRecipe if it is not one


_CHECKS: dict[str, Callable[[RecipeField, Any], Any]] = {
    INT: _check_int, FLOAT: _check_float, CHOICE: _check_choice, TEXT: _check_text, MODEL: _check_text,
    CONDITIONING: _check_conditioning, BRANCH: _check_branch, IMAGE: _check_image,
    SEED_PLANE: _check_seed_plane,
}


def _diffusion(info: ModelInfo, recipe: Recipe | None) -> bool:
    return info.family == Family.DIFFUSION


def _pixel_diffusion(info: ModelInfo, recipe: Recipe | None) -> bool:
    """Diffusion in pixels (digits-diffusion), where autoguidance runs; not text-to-image (yet)."""
    return info.family == Family.DIFFUSION and not getattr(info, "takes_text", False)


def _guided_by_a_model(info: ModelInfo, recipe: Recipe | None) -> bool:
    """A guide model takes the guidance as its weight, also on a model without a null label."""
    guide = None if recipe is None else getattr(recipe, "guide_model", None)
    return _pixel_diffusion(info, recipe) and (guide not in (None, NO_GUIDE) or (
        guide is None and getattr(info, "default_guide", None) is not None))


FIELDS: tuple[RecipeField, ...] = (
    RecipeField("model", "Model", "model name (see `noisescope models`) or folder path", MODEL,
                cli_flag="--model", a1111_key="Model", a1111_always=True),
    RecipeField("family", "Family", "diffusion, vae or gan; filled in from the model", CHOICE, optional=True,
                choices=tuple(f.value for f in Family), unset_text="from the model",
                applies=lambda info, recipe: False),
    RecipeField("conditioning", "Conditioning", "what to draw: a class label (class-conditional models) or a text "
                "prompt (text-to-image models)", CONDITIONING,
                cli_flag="--label", cli_help="class label by name, for class-conditional models",
                cli_parts=(("--prompt", "prompt", "what to draw, for text-to-image models; prompts over the text "
                            "encoder's 77 tokens are truncated (a warning says so)"),
                           ("--negative-prompt", "negative_prompt", "what not to draw, with --prompt")),
                applies=lambda info, recipe: bool(info.labels)),
    RecipeField("latent_prior", "Latent prior", "where a VAE with a fitted prior draws z: fitted (each class's "
                "Gaussian, fitted to its encoded training images; a label picks the class) or standard (N(0, I), "
                "the prior the VAE was trained towards: the plain VAE, which takes no label)", CHOICE,
                choices=(FITTED_PRIOR, STANDARD_PRIOR), cli_flag="--latent-prior", a1111_key="Latent prior",
                applies=lambda info, recipe: getattr(info, "latent_prior", None) is not None),
    RecipeField("sampler", "Sampler", "how the noise is removed step by step (see `noisescope samplers`)", CHOICE,
                choices=tuple(SAMPLERS), cli_flag="--sampler",
                cli_help="sampler id or name (see `noisescope samplers`)", a1111_key="Sampler", a1111_always=True,
                applies=_diffusion),
    RecipeField("schedule", "Schedule type", "how the noise levels are spaced over the steps: default (as the "
                "model was trained), karras (more steps at low noise, where detail forms) or exponential", CHOICE,
                choices=tuple(SCHEDULES), cli_flag="--schedule", a1111_key="Schedule type",
                applies=lambda info, recipe: _diffusion(info, recipe) and (
                    recipe is None or len(SAMPLERS.get(recipe.sampler, SAMPLERS["ddpm"]).schedules) > 1)),
    RecipeField("steps", "Steps", "how many denoising steps", INT, minimum=1, maximum=MAX_STEPS,
                cli_flag="--steps", a1111_key="Steps", a1111_always=True, applies=_diffusion),
    RecipeField("guidance", "Guidance", "classifier-free guidance scale, with a class label or a prompt; with a "
                "guide model, the autoguidance weight w instead (guide + w x (model - guide)), label or not; unset: "
                "the model's default", FLOAT, optional=True, minimum=0.0, maximum=MAX_GUIDANCE, step=0.5,
                cli_flag="--guidance", cli_help="classifier-free guidance scale, with --label or --prompt (default: "
                "the model's own: 7.5 for Stable Diffusion); with a guide model (--guide-model), the autoguidance "
                "weight w: guide + w x (model - guide)",
                a1111_key="CFG scale",
                applies=lambda info, recipe: info.supports_guidance or _guided_by_a_model(info, recipe)),
    RecipeField("guide_model", "Guide model", "autoguidance: a weaker version of the model (an earlier checkpoint) "
                "run beside it on the same input and label, each step pushed away from it by the guidance weight; "
                "unset: the model's own guide when no label is asked (digits-diffusion's is digits-diffusion-early), "
                "else none; none: no autoguidance; or a model name or folder", MODEL, optional=True,
                cli_flag="--guide-model", a1111_key="Guide model", applies=_pixel_diffusion),
    RecipeField("seed", "Seed", "seed of the first sample; each next sample takes the next seed", INT, minimum=0,
                maximum=MAX_SEED, cli_flag="--seed", cli_help="seed of the first sample (default: a random one, "
                "printed)", a1111_key="Seed", a1111_always=True),
    RecipeField("variation_seed", "Variation seed", "a second seed whose start noise is blended in by the "
                "variation strength (AUTOMATIC1111's variation seed); sample i of a batch takes variation seed + i "
                "and keeps the seed", INT, minimum=0, maximum=MAX_SEED, cli_flag="--variation-seed",
                a1111_key="Variation seed"),
    RecipeField("variation_strength", "Variation strength", "how far the start noise is turned (slerp) from the "
                "seed's towards the variation seed's: 0 the seed's own image, 1 the variation seed's", FLOAT,
                minimum=0.0, maximum=1.0, step=0.05, cli_flag="--variation-strength",
                a1111_key="Variation seed strength"),
    RecipeField("batch", "Batch", "number of samples", INT, minimum=1, maximum=MAX_BATCH, cli_flag="--batch",
                a1111_key="Batch size"),
    RecipeField("eta", "Eta", "DDIM eta (0 deterministic, 1 like DDPM)", FLOAT, minimum=0.0, maximum=1.0, step=0.1,
                cli_flag="--eta", a1111_key="Eta", a1111_aliases=("Eta DDIM",),
                applies=lambda info, recipe: _diffusion(info, recipe) and (
                    recipe is None or recipe.sampler in SAMPLERS and SAMPLERS[recipe.sampler].uses_eta)),
    RecipeField("width", "Width", "image width in pixels, a multiple of 8, for models that take a size (default: "
                "the model's own)",
                INT, optional=True, minimum=8, maximum=MAX_SIZE, step=8, cli_flag="--width", unset_text="model size",
                applies=lambda info, recipe: not info.fixed_size),
    RecipeField("height", "Height", "image height in pixels, a multiple of 8, for models that take a size "
                "(default: the model's own)",
                INT, optional=True, minimum=8, maximum=MAX_SIZE, step=8, cli_flag="--height", unset_text="model size",
                applies=lambda info, recipe: not info.fixed_size),
    RecipeField("device", "Device", "auto, cpu, cuda, cuda:N or mps", CHOICE, choices=DEVICES, cli_flag="--device"),
    RecipeField("branch", "Branch of", "the run this one continues and the step it starts from; set by `noisescope "
                "branch`", BRANCH, optional=True, unset_text="none (a run of its own)",
                applies=lambda info, recipe: False),
    RecipeField("init_image", "Init image", "image-to-image: the picture the run starts from, noised to the "
                "denoising strength and then denoised (resized to the model's size if it differs)", IMAGE,
                optional=True, cli_flag="--init-image", unset_text="none", applies=_diffusion),
    RecipeField("strength", "Denoising strength", "image-to-image: how much of the init image is redrawn: 0 keeps "
                "it, 1 starts from (almost) pure noise; the run takes int(steps x strength) steps", FLOAT,
                minimum=0.0, maximum=1.0, step=0.05, cli_flag="--strength", a1111_key="Denoising strength",
                applies=lambda info, recipe: _diffusion(info, recipe) and (
                    recipe is None or getattr(recipe, "init_image", None) is not None)),
    RecipeField("seed_plane", "Seed plane", "a point (x, y) on the plane of four seeds (the seed at (0, 0), these at "
                "(1, 0), (0, 1), (1, 1)): its start noise is their noises blended bilinearly and renormalised, as "
                "StyleGAN3's visualizer does; written `S10, S01, S11 @ X, Y`", SEED_PLANE, optional=True,
                cli_flag="--seed-plane", a1111_key="Seed plane", unset_text="none",
                applies=lambda info, recipe: False),
)

_BY_NAME = {f.name: f for f in FIELDS}
A1111_KEYS: dict[str, RecipeField] = {
    key: f for f in FIELDS for key in ((f.a1111_key, *f.a1111_aliases) if f.a1111_key else ())
}


def field(name: str) -> RecipeField:
    """The row for a Recipe attribute; KeyError naming the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no recipe field {name!r}; known: {', '.join(_BY_NAME)}") from None
