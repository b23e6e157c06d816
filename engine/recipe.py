"""Recipe: a frozen, validated description of one generation.

The same recipe on the same device gives the same pixels; every export and history row
carries one. Validation happens on construction, so a Recipe that exists is a valid one;
`check_against_model` adds the checks that need the model (labels, guidance, size).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from engine.errors import InvalidRecipe
from engine.samplers.registry import NO_SAMPLER, SAMPLERS, resolve_sampler_id

if TYPE_CHECKING:
    from engine.models.info import ModelInfo

RECIPE_VERSION = 1
FAMILIES = ("diffusion", "vae", "gan")
DEVICES = ("auto", "cpu", "cuda", "mps")
MAX_STEPS = 1000
MAX_BATCH = 256
MAX_SEED = 2**63 - 1 - MAX_BATCH  # seed + sample index must stay a valid 64-bit seed
DEFAULT_GUIDANCE = 3.0


@dataclass(frozen=True)
class Recipe:
    model: str = "digits-diffusion"
    family: str | None = None  # filled from the model when the recipe is resolved
    sampler: str = "dpmpp_2m"
    steps: int = 30
    seed: int = 0
    batch: int = 1
    guidance: float = DEFAULT_GUIDANCE
    eta: float = 0.0
    label: str | None = None
    device: str = "auto"

    def __post_init__(self) -> None:
        _check_types(self)
        if not self.model.strip():
            raise InvalidRecipe("model is empty: name a model (see `noisescope models`) or a path")
        if self.family is not None and self.family not in FAMILIES:
            raise InvalidRecipe(f"family {self.family!r} is not one of {', '.join(FAMILIES)}")
        if self.sampler != NO_SAMPLER:
            object.__setattr__(self, "sampler", resolve_sampler_id(self.sampler))
        if not 1 <= self.steps <= MAX_STEPS:
            raise InvalidRecipe(f"steps must be between 1 and {MAX_STEPS}, not {self.steps}")
        if not 0 <= self.seed <= MAX_SEED:
            raise InvalidRecipe(f"seed must be between 0 and {MAX_SEED}, not {self.seed}")
        if not 1 <= self.batch <= MAX_BATCH:
            raise InvalidRecipe(f"batch must be between 1 and {MAX_BATCH}, not {self.batch}")
        if not 0.0 <= self.guidance <= 30.0:
            raise InvalidRecipe(f"guidance must be between 0 and 30, not {self.guidance:g}")
        if not 0.0 <= self.eta <= 1.0:
            raise InvalidRecipe(f"eta must be between 0 and 1, not {self.eta:g}")
        if self.eta != 0.0 and self.sampler != NO_SAMPLER and not SAMPLERS[self.sampler].uses_eta:
            users = ", ".join(s.display_name for s in SAMPLERS.values() if s.uses_eta)
            raise InvalidRecipe(
                f"eta only applies to {users}; {SAMPLERS[self.sampler].display_name} ignores it. Leave eta at 0"
            )
        if self.device not in DEVICES and not self.device.startswith("cuda:"):
            raise InvalidRecipe(f"device {self.device!r} is not one of {', '.join(DEVICES)} (or cuda:N)")

    def replace(self, **changes: Any) -> Recipe:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {"noisescope_recipe": RECIPE_VERSION, **asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        data = dict(data)
        version = data.pop("noisescope_recipe", RECIPE_VERSION)
        if version != RECIPE_VERSION:
            raise InvalidRecipe(f"recipe version {version} is not supported (this Noisescope reads {RECIPE_VERSION})")
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

    def check_against_model(self, info: ModelInfo) -> Recipe:
        """The recipe made concrete for this model, or InvalidRecipe saying what does not fit."""
        recipe = self
        if self.family not in (None, info.family):
            raise InvalidRecipe(f"model {info.name} is a {info.family} model, but the recipe says {self.family}")
        if self.label is not None:
            if not info.labels:
                raise InvalidRecipe(f"model {info.name} has no class labels; leave the label empty")
            if self.label not in info.labels:
                raise InvalidRecipe(
                    f"model {info.name} has no label {self.label!r}; its labels are {', '.join(info.labels)}"
                )
        guided = info.supports_guidance and self.label is not None
        if self.guidance != DEFAULT_GUIDANCE and not guided:
            why = "needs a class label" if info.supports_guidance else f"is not supported by {info.name}"
            raise InvalidRecipe(f"guidance (classifier-free) {why}; leave it at {DEFAULT_GUIDANCE:g}")
        if info.family == "diffusion":
            if self.sampler == NO_SAMPLER:
                raise InvalidRecipe("a diffusion model needs a sampler (see `noisescope samplers`)")
        else:
            # VAE and GAN decode in one pass: no sampler, one step.
            recipe = replace(recipe, sampler=NO_SAMPLER, steps=1, eta=0.0)
        return replace(recipe, family=info.family)


_TYPES: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "family": (str, type(None)),
    "sampler": (str,),
    "steps": (int,),
    "seed": (int,),
    "batch": (int,),
    "guidance": (int, float),
    "eta": (int, float),
    "label": (str, type(None)),
    "device": (str,),
}


def _check_types(recipe: Recipe) -> None:
    for name, allowed in _TYPES.items():
        value = getattr(recipe, name)
        if isinstance(value, bool) or not isinstance(value, allowed):
            want = " or ".join("none" if t is type(None) else t.__name__ for t in allowed)
            raise InvalidRecipe(f"{name} must be {want}, not {value!r}")
    object.__setattr__(recipe, "guidance", float(recipe.guidance))
    object.__setattr__(recipe, "eta", float(recipe.eta))
