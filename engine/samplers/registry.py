"""The sampler registry: id -> diffusers scheduler class and the settings that make it that sampler.

A model folder's own scheduler config (betas, timestep count, prediction type) is kept and
converted with `from_config`, as diffusers does, so every sampler sees the schedule the model
was trained with. A sampler also takes a schedule type (schedules.py) where its scheduler class
supports one.
Torch-free: diffusers is imported only inside make_scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import InvalidRecipe
from engine.samplers.schedules import DEFAULT_SCHEDULE, SCHEDULES, SIGMA_SCHEDULES, resolve_schedule_id

NO_SAMPLER = "none"  # VAE and GAN recipes: one decode, no scheduler


@dataclass(frozen=True)
class SamplerSpec:
    id: str
    display_name: str  # the name AUTOMATIC1111 and ComfyUI users know
    scheduler_class: str  # a class in diffusers
    overrides: dict[str, Any] = field(default_factory=dict)
    uses_eta: bool = False
    stochastic: bool = False  # draws fresh noise every step (seeded per sample)
    description: str = ""
    schedules: tuple[str, ...] = (DEFAULT_SCHEDULE,)  # schedule types its scheduler class takes


_SIGMAS = (DEFAULT_SCHEDULE, *SIGMA_SCHEDULES)  # classes with use_karras_sigmas and its siblings

SAMPLERS: dict[str, SamplerSpec] = {
    spec.id: spec
    for spec in (
        SamplerSpec("ddpm", "DDPM", "DDPMScheduler", stochastic=True,
                    description="the original ancestral sampler; needs many steps"),
        SamplerSpec("ddim", "DDIM", "DDIMScheduler", uses_eta=True,
                    description="deterministic at eta 0; eta 1 behaves like DDPM"),
        SamplerSpec("dpmpp_2m", "DPM++ 2M", "DPMSolverMultistepScheduler",
                    overrides={"algorithm_type": "dpmsolver++", "solver_order": 2}, schedules=_SIGMAS,
                    description="second-order multistep; good images in 20-30 steps"),
        SamplerSpec("euler", "Euler", "EulerDiscreteScheduler", schedules=_SIGMAS,
                    description="first-order ODE solver on the noise levels"),
        SamplerSpec("euler_a", "Euler a", "EulerAncestralDiscreteScheduler", stochastic=True,
                    description="Euler with fresh noise every step"),
        SamplerSpec("heun", "Heun", "HeunDiscreteScheduler", schedules=_SIGMAS,
                    description="second order: two model evaluations per step"),
        SamplerSpec("unipc", "UniPC", "UniPCMultistepScheduler", schedules=_SIGMAS,
                    description="predictor-corrector; strong at very few steps"),
    )
}


def resolve_sampler_id(name: str) -> str:
    """Accepts an id ("dpmpp_2m") or a display name ("DPM++ 2M"), any case."""
    wanted = name.strip().lower()
    for spec in SAMPLERS.values():
        if wanted in (spec.id, spec.display_name.lower()):
            return spec.id
    known = ", ".join(f"{s.id} ({s.display_name})" for s in SAMPLERS.values())
    raise InvalidRecipe(f"unknown sampler {name!r}; known samplers: {known}")


def check_schedule(sampler_id: str, schedule: str) -> str:
    """The schedule's id if the sampler takes it; InvalidRecipe naming the samplers that do."""
    schedule = resolve_schedule_id(schedule)
    spec = SAMPLERS[resolve_sampler_id(sampler_id)]
    if schedule not in spec.schedules:
        takers = ", ".join(s.display_name for s in SAMPLERS.values() if schedule in s.schedules)
        raise InvalidRecipe(f"schedule type {SCHEDULES[schedule].display_name} does not apply to "
                            f"{spec.display_name}; samplers that take it: {takers}")
    return schedule


def make_scheduler(sampler_id: str, base_config: dict[str, Any], schedule: str = DEFAULT_SCHEDULE):
    """A fresh scheduler of the sampler's class built from the model's scheduler config."""
    import diffusers  # heavy import, kept off the path of `--help` and recipe validation

    spec = SAMPLERS[resolve_sampler_id(sampler_id)]
    schedule = check_schedule(spec.id, schedule)
    scheduler_class = getattr(diffusers, spec.scheduler_class)
    settings = dict(spec.overrides)
    if schedule != DEFAULT_SCHEDULE:  # the recipe's choice replaces any sigma switch the model's config set
        settings.update({flag: False for other in SIGMA_SCHEDULES for flag in SCHEDULES[other].overrides})
        settings.update(SCHEDULES[schedule].overrides)
    return scheduler_class.from_config(base_config, **settings)
