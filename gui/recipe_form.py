"""The recipe form's state: the fields being edited, the catalog, and which controls apply.

Driven by the recipe's field table (engine/recipe_fields.py): every row the window edits is a
form field with the row's default, range and choices, shown when the row's `applies` says so.
A row added to the table appears in the form with no change here. Two window rules sit on top:
sampler and steps are disabled (not hidden) for one-pass models, so the person sees why, and
guidance needs a class. No widgets, no torch.
"""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.conditioning import ClassLabel, Unconditional
from engine.errors import InvalidRecipe
from engine.kinds import Family
from engine.recipe import Recipe, model_default_guidance
from engine.recipe_fields import CONDITIONING, FIELDS, RecipeField
from engine.samplers.registry import NO_SAMPLER

NOT_EDITED = ("family", "device")  # the model's and the engine's choice
LABEL = "label"  # the conditioning row is edited as a class name (None: unconditional)
WINDOW_ONLY = {"seed_locked": False}  # not part of a recipe: the window draws a new seed unless locked
WINDOW_DEFAULTS = {"batch": 4}  # a grid shows more than one sample
WINDOW_MAXIMUM = {"batch": 64}  # the engine allows more; the grid stops being readable
DISABLED_NOT_HIDDEN = {"sampler": NO_SAMPLER, "steps": 1}  # and the value a one-pass model runs with
SEED_RANGE = 2**32  # new seeds stay short enough to read and type


def form_rows() -> tuple[RecipeField, ...]:
    return tuple(row for row in FIELDS if row.name not in NOT_EDITED)


def form_name(row: RecipeField) -> str:
    return LABEL if row.kind == CONDITIONING else row.name


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
        self.guidance_visible = self.applies["guidance"]
        self.guidance = self.guidance_visible and form.fields.label is not None  # CFG needs a class
        self.default_guidance = model_default_guidance(info) if info else None
        self.one_pass = info is not None and info.family != Family.DIFFUSION

    def visible(self, name: str) -> bool:
        return self.applies[name] or name in DISABLED_NOT_HIDDEN

    def enabled(self, name: str) -> bool:
        return self.guidance if name == "guidance" else self.applies[name]


class RecipeForm(QObject):
    catalogChanged = Signal()
    fieldsChanged = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.models: list = []  # ModelInfo
        self.samplers: list = []  # SamplerSpec
        self.fields = FormFields()

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
        note = ""
        if self.model_info(recipe.model) is None:
            del values["model"]
            note = f" Model {recipe.model!r} is not installed; the current model is kept."
        if recipe.sampler == NO_SAMPLER:  # a VAE or GAN recipe keeps the sampler (and its settings) chosen
            for name in ("sampler", "schedule", "steps", "eta"):
                values.pop(name, None)
        self.restore_fields(values)
        return note

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
            if row.kind == CONDITIONING:
                label = self.fields.label if used else None
                values[row.name] = ClassLabel(label) if label is not None else Unconditional()
            else:
                values[row.name] = getattr(self.fields, name) if used else DISABLED_NOT_HIDDEN.get(name, row.default)
        return Recipe(**values)
