"""Schedule types: how a sampler spaces its noise levels over the steps.

"default" keeps the spacing the model's scheduler config gives; "karras" (Karras et al. 2022)
and "exponential" are diffusers' `use_karras_sigmas` / `use_exponential_sigmas`. Only some
scheduler classes take them: each SamplerSpec lists the schedules it supports (a test checks
the list against diffusers). `display_name` is what AUTOMATIC1111 writes as `Schedule type`.
Torch-free: names and settings only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import InvalidRecipe

DEFAULT_SCHEDULE = "default"


@dataclass(frozen=True)
class ScheduleSpec:
    id: str
    display_name: str  # A1111's `Schedule type` value
    overrides: dict[str, Any] = field(default_factory=dict)  # scheduler config settings that make it
    description: str = ""


SCHEDULES: dict[str, ScheduleSpec] = {
    spec.id: spec
    for spec in (
        ScheduleSpec(DEFAULT_SCHEDULE, "Automatic", description="the spacing the model was trained with"),
        ScheduleSpec("karras", "Karras", {"use_karras_sigmas": True},
                     description="more steps at low noise, where detail forms (Karras et al. 2022)"),
        ScheduleSpec("exponential", "Exponential", {"use_exponential_sigmas": True},
                     description="noise levels evenly spaced in log sigma"),
    )
}
# Every schedule but the default is a use_*_sigmas switch; a scheduler class takes all or none.
SIGMA_SCHEDULES = tuple(s for s in SCHEDULES if s != DEFAULT_SCHEDULE)


def resolve_schedule_id(name: str) -> str:
    """Accepts an id ("karras") or an A1111 name ("Karras", "Automatic"), any case."""
    wanted = name.strip().lower()
    for spec in SCHEDULES.values():
        if wanted in (spec.id, spec.display_name.lower()):
            return spec.id
    known = ", ".join(SCHEDULES)
    raise InvalidRecipe(f"unknown schedule type {name!r}; known schedule types: {known}")
