"""The sampler registry: id -> diffusers scheduler class and the settings that make it that sampler.

A model folder's own scheduler config (betas, timestep count, prediction type) is kept and
converted with `from_config`, as diffusers does, so every sampler sees the schedule the model
was trained with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import InvalidRecipe

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


SAMPLERS: dict[str, SamplerSpec] = {
    spec.id: spec
    for spec in (
        SamplerSpec("ddpm", "DDPM", "DDPMScheduler", stochastic=True,
                    description="the original ancestral sampler; needs many steps"),
        SamplerSpec("ddim", "DDIM", "DDIMScheduler", uses_eta=True,
                    description="deterministic at eta 0; eta 1 behaves like DDPM"),
        SamplerSpec("dpmpp_2m", "DPM++ 2M", "DPMSolverMultistepScheduler",
                    overrides={"algorithm_type": "dpmsolver++", "solver_order": 2},
                    description="second-order multistep; good images in 20-30 steps"),
        SamplerSpec("euler", "Euler", "EulerDiscreteScheduler",
                    description="first-order ODE solver on the noise levels"),
        SamplerSpec("euler_a", "Euler a", "EulerAncestralDiscreteScheduler", stochastic=True,
                    description="Euler with fresh noise every step"),
        SamplerSpec("heun", "Heun", "HeunDiscreteScheduler",
                    description="second order: two model evaluations per step"),
        SamplerSpec("unipc", "UniPC", "UniPCMultistepScheduler",
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


def make_scheduler(sampler_id: str, base_config: dict[str, Any]):
    """A fresh scheduler of the sampler's class built from the model's scheduler config."""
    import diffusers  # heavy import, kept off the path of `--help` and recipe validation

    spec = SAMPLERS[resolve_sampler_id(sampler_id)]
    scheduler_class = getattr(diffusers, spec.scheduler_class)
    return scheduler_class.from_config(base_config, **spec.overrides)
