"""The recipe form's state: the fields being edited, the catalog, and which controls apply.

Driven by the recipe's field table (engine/recipe_fields.py): every row the window edits is a
form field with the row's default, range and choices, shown when the row's `applies` says so.
A row added to the table appears in the form with no change here. Two window rules sit on top:
sampler and steps are disabled (not hidden) for one-pass models, so the person sees why, and
guidance needs a class. A model that takes text (ModelInfo.takes_text) edits the conditioning
row as a prompt and a negative prompt instead of a class, takes a size (multiples of its
size_multiple, presets around its native size) and a preview mode (engine/preview_modes.py,
not part of the recipe: it changes what is shown, never the image). No widgets, no torch.
"""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.autoguidance import compatible_guides
from engine.conditioning import ClassLabel, TextPrompt, Unconditional
from engine.errors import InvalidRecipe
from engine.kinds import Family
from engine.preview_modes import PREVIEW_LABELS, PreviewMode, PreviewSettings, set_preview_settings
from engine.recipe import Recipe, model_default_guidance
from engine.recipe_fields import CHOICE, CONDITIONING, DEFAULT_GUIDANCE, FIELDS, NO_GUIDE, TEXT, RecipeField
from engine.samplers.registry import NO_SAMPLER

NOT_EDITED = ("family", "device", "branch", "seed_plane")  # the model's and the engine's choice; branch: set by branching
LABEL = "label"  # the conditioning row is edited as a class name (None: unconditional)
WINDOW_ONLY = {"seed_locked": False,  # not part of a recipe: the window draws a new seed unless locked
               "prompt": "", "negative": "",  # the conditioning row, for text models
               # A restored prompt blend (an interpolation's frame between prompts): the prompt blended
               # towards blend_to by blend, kept until the prompt is edited (the controls show it).
               "blend_to": "", "blend": 0.0,
               "preview": PreviewMode.APPROX.value, "taesd": ""}  # how latents are previewed; TAESD's folder
TEXT_ONLY = ("prompt", "negative", "preview")  # shown for models that take text
SIZE_MULTIPLE = 8
# Width x height presets offered besides the model's own size (portrait and landscape at ~1 MP and ~0.4 MP).
SIZE_PRESETS = ((512, 512), (512, 768), (768, 512), (768, 768), (1024, 1024), (832, 1216), (1216, 832),
                (896, 1152), (1152, 896))
WINDOW_DEFAULTS = {"batch": 4}  # a grid shows more than one sample
WINDOW_MAXIMUM = {"batch": 64}  # the engine allows more; the grid stops being readable
DISABLED_NOT_HIDDEN = {"sampler": NO_SAMPLER, "steps": 1}  # and the value a one-pass model runs with
SEED_RANGE = 2**32  # new seeds stay short enough to read and type


def form_rows() -> tuple[RecipeField, ...]:
    return tuple(row for row in FIELDS if row.name not in NOT_EDITED)


def form_name(row: RecipeField) -> str:
    return LABEL if row.kind == CONDITIONING else row.name


def _conditioning_row() -> RecipeField:
    return next(row for row in FIELDS if row.kind == CONDITIONING)


def text_rows() -> tuple[RecipeField, ...]:
    """The window's rows for text models: the conditioning row as prompt and negative prompt
    (TEXT boxes), and the preview choice. Not recipe rows of their own: build_recipe folds the
    two prompts into the conditioning row's TextPrompt."""
    return (
        RecipeField("prompt", "Prompt", "what to draw (Ctrl+Enter generates)", TEXT),
        RecipeField("negative", "Negative", "what to keep out of the image (may be empty)", TEXT),
        RecipeField("preview", "Preview", "how each step is shown while it runs: approximate colours "
                    "(fast), TAESD (a tiny decoder; needs its folder), the model's VAE (exact, slow) or none",
                    CHOICE, choices=tuple(m.value for m in PreviewMode)),
    )


def preview_label(mode: str) -> str:
    return PREVIEW_LABELS[PreviewMode(mode)]


def size_presets(info) -> list[tuple[str, int | None, int | None]]:
    """(label, width, height): the model's own size first (None, None: "model size"), then the presets."""
    if info is None or getattr(info, "fixed_size", True):
        return []
    presets = [(f"Model size ({info.width}×{info.height})", None, None)]
    presets += [(f"{w}×{h}", w, h) for w, h in SIZE_PRESETS if (w, h) != (info.width, info.height)]
    return presets


def limits(row: RecipeField) -> tuple[Any, Any]:
    """The range the window offers: the table's, narrower where the window says so."""
    top = WINDOW_MAXIMUM.get(row.name)
    return row.minimum, row.maximum if top is None else min(top, row.maximum)


class FormFields:
    """The values being edited, by form name (`form.fields.steps`); they may not fit the model yet."""

    def __init__(self) -> None:
        values = {form_name(row): None if row.kind == CONDITIONING else WINDOW_DEFAULTS.get(row.name, row.default)
                  for row in form_rows()}
        object.__setattr__(self, "_values", {**values, **WINDOW_ONLY})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._values:
            raise AttributeError(f"the form has no field {name!r}")
        self._values[name] = value

    def names(self) -> tuple[str, ...]:
        return tuple(self._values)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)


class Capabilities:
    """Which controls apply to the chosen model and sampler, from the table's `applies`."""

    def __init__(self, form: RecipeForm):
        info, spec = form.model_info(), form.sampler_spec()
        draft = SimpleNamespace(**form.fields.as_dict())  # the recipe being edited, as `applies` reads it
        self.applies = {form_name(row): info is not None and row.applies(info, draft) for row in form_rows()}
        self.applies["model"] = True
        self.sampler = self.applies["sampler"]  # sampler and steps: diffusion only
        self.eta = self.applies["eta"]
        self.schedules: tuple[str, ...] = tuple(spec.schedules) if spec is not None else ()
        self.labels: tuple[str, ...] = tuple(info.labels or ()) if info else ()
        self.label_optional = not (info and info.requires_label)
        self.takes_text = bool(getattr(info, "takes_text", False))
        for name in TEXT_ONLY:
            self.applies[name] = self.takes_text
        if self.takes_text:
            self.applies[LABEL] = False  # the prompt is the conditioning
        self.size_multiple = int(getattr(info, "size_multiple", SIZE_MULTIPLE) or SIZE_MULTIPLE)
        self.guidance_visible = self.applies["guidance"]
        # What an unset guide model runs with: the model's guide without a label (autoguidance), else none.
        no_label = form.fields.label is None and not self.takes_text
        self.default_guide = getattr(info, "default_guide", None) if self.applies["guide_model"] and no_label else None
        guide = form.fields.guide_model
        self.autoguided = self.applies["guide_model"] and (
            guide not in (None, NO_GUIDE) or (guide is None and self.default_guide is not None))
        # CFG needs a class, or a prompt (the negative prompt, or none, is the other half); autoguidance neither
        self.guidance = self.guidance_visible and (form.fields.label is not None or self.takes_text or self.autoguided)
        self.default_guidance = model_default_guidance(info) if info else None
        if self.autoguided and info is not None:  # the weight an unset guidance runs with (autoguidance_weight)
            weight = getattr(info, "default_guide_guidance", None)
            self.default_guidance = weight if weight is not None else DEFAULT_GUIDANCE
        self.one_pass = info is not None and info.family != Family.DIFFUSION

    def visible(self, name: str) -> bool:
        return self.applies[name] or name in DISABLED_NOT_HIDDEN

    def enabled(self, name: str) -> bool:
        return self.guidance if name == "guidance" else self.applies[name]


class RecipeForm(QObject):
    catalogChanged = Signal()
    fieldsChanged = Signal()
    problem = Signal(str)  # an input that cannot be taken (an init image file that cannot be read): the banner

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.models: list = []  # ModelInfo
        self.samplers: list = []  # SamplerSpec
        self.fields = FormFields()
        self._applied_preview: PreviewSettings | None = None

    # -- catalog ----------------------------------------------------------------------------
    def set_catalog(self, models: list, samplers: list, default_model: str | None) -> None:
        self.models, self.samplers = list(models), list(samplers)
        if self.model_info(self.fields.model) is None and default_model:
            self.fields.model = default_model
        self._normalise()
        self.catalogChanged.emit()
        self.fieldsChanged.emit()

    def model_info(self, name: str | None = None):
        name = self.fields.model if name is None else name
        return next((m for m in self.models if m.name == name), None)

    def sampler_spec(self, sampler_id: str | None = None):
        sampler_id = self.fields.sampler if sampler_id is None else sampler_id
        return next((s for s in self.samplers if s.id == sampler_id), None)

    def capabilities(self) -> Capabilities:
        return Capabilities(self)

    # -- editing ----------------------------------------------------------------------------
    def set_field(self, name: str, value: Any) -> None:
        if getattr(self.fields, name) == value:
            return
        setattr(self.fields, name, value)
        if name == "prompt":  # the blend was the restored prompt's: another prompt is a plain one
            self.fields.blend_to, self.fields.blend = "", 0.0
        self._normalise()
        self.fieldsChanged.emit()

    def restore_fields(self, saved: dict) -> None:
        """Take the values given (settings, a restored recipe); unknown names are ignored."""
        names = self.fields.names()
        for name, value in saved.items():
            if name in names:
                setattr(self.fields, name, value)
        self._normalise()
        self.fieldsChanged.emit()

    def use_recipe(self, recipe: Recipe) -> str:
        """Put a recipe (from the history or a dropped file) in the form, every field the table
        has, seed locked so it generates the same again; returns a note for what was not taken."""
        values: dict[str, Any] = {form_name(row): getattr(recipe, row.name) for row in form_rows()}
        values[LABEL], values["seed_locked"] = recipe.label, True
        if recipe.init_image is not None:  # the form holds it as its JSON dict (saved settings are JSON)
            values["init_image"] = recipe.init_image.to_dict()
        values["blend_to"], values["blend"] = "", 0.0
        if isinstance(recipe.conditioning, TextPrompt):
            values["prompt"], values["negative"] = recipe.conditioning.prompt, recipe.conditioning.negative
            values["blend_to"], values["blend"] = recipe.conditioning.blend_to, float(recipe.conditioning.blend)
        note = ""
        if self.model_info(recipe.model) is None:
            del values["model"]
            note = f" Model {recipe.model!r} is not installed; the current model is kept."
        if _one_pass(recipe, self.model_info(recipe.model)):  # keeps the sampler (and its settings) chosen
            for name in ("sampler", "schedule", "steps", "eta"):
                values.pop(name, None)
        self.restore_fields(values)
        return note

    def prompt_blend(self) -> tuple[str, float]:
        """(blend_to, blend) of a restored blend, ("", 0.0) for a plain prompt (or a saved pair that does not fit)."""
        blend_to, blend = self.fields.blend_to, self.fields.blend
        if isinstance(blend_to, str) and blend_to.strip() and isinstance(blend, float) and 0 < blend <= 1:
            return blend_to, blend
        return "", 0.0

    def set_size(self, width: int | None, height: int | None) -> None:
        """Both sides at once (a size preset): one change, one refresh."""
        self.restore_fields({"width": width, "height": height})

    def preview_settings(self) -> PreviewSettings:
        taesd = self.fields.taesd.strip()
        return PreviewSettings(self.fields.preview, Path(taesd) if taesd else None)

    def new_seed(self) -> None:
        self.set_field("seed", random.randrange(SEED_RANGE))

    def _normalise(self) -> None:
        """Keep the fields in range and consistent with the model (a label it has, a sampler
        that exists), whatever a settings file or a caller put there."""
        f = self.fields
        for row in form_rows():
            name, value = form_name(row), getattr(f, form_name(row))
            if row.choices and value not in row.choices:
                setattr(f, name, row.default)
            elif row.minimum is not None and value is not None:
                low, high = limits(row)
                setattr(f, name, min(max(value, low), high))
        info = self.model_info()
        if info is None:
            return
        labels = info.labels or ()
        if f.label not in labels:
            f.label = None
        if f.label is None and info.requires_label and labels:
            f.label = labels[0]
        if self.samplers and self.sampler_spec() is None:
            f.sampler = self.samplers[0].id
        if self.model_info(f.guide_model) is not None and f.guide_model not in (
                m.name for m in compatible_guides(info, self.models)):
            f.guide_model = None  # an installed model that cannot guide this one (the model changed): its default
        if f.preview not in tuple(m.value for m in PreviewMode):
            f.preview = PreviewMode.APPROX.value
        if not getattr(info, "fixed_size", True):  # sizes snap down to the model's multiple (8)
            multiple = int(getattr(info, "size_multiple", SIZE_MULTIPLE) or SIZE_MULTIPLE)
            for name in ("width", "height"):
                value = getattr(f, name)
                if value is not None:
                    setattr(f, name, max(multiple, value // multiple * multiple))
        settings = self.preview_settings()
        if settings != self._applied_preview:  # the next run previews this way (read once per run)
            self._applied_preview = settings
            set_preview_settings(settings)
        # A schedule the sampler does not take stays chosen (for the next sampler) but is not used.

    def build_recipe(self) -> Recipe:
        """The Recipe for Generate, with only what applies (the rest at the table's default);
        InvalidRecipe with a message a person understands."""
        if self.model_info() is None:
            raise InvalidRecipe("no model is chosen: add a model to the models folder, then pick it")
        caps, values = self.capabilities(), {}
        for row in form_rows():
            name = form_name(row)
            used = caps.enabled(name) and (name != "schedule" or self.fields.schedule in caps.schedules)
            if row.kind == CONDITIONING and caps.takes_text:  # InvalidRecipe if empty
                values[row.name] = TextPrompt(self.fields.prompt, self.fields.negative, *self.prompt_blend())
            elif row.kind == CONDITIONING:
                label = self.fields.label if used else None
                values[row.name] = ClassLabel(label) if label is not None else Unconditional()
            else:
                values[row.name] = getattr(self.fields, name) if used else DISABLED_NOT_HIDDEN.get(name, row.default)
        return Recipe(**values)


def _one_pass(recipe: Recipe, info) -> bool:
    """A VAE or GAN recipe: its 1 step and its sampler (a foreign file may name one) are not
    for the next diffusion run."""
    family = recipe.family or (info.family if info is not None else None)
    return recipe.sampler == NO_SAMPLER or (family is not None and family != Family.DIFFUSION)
