"""Samplers: names people know, each backed by a diffusers scheduler."""

from engine.samplers.registry import NO_SAMPLER, SAMPLERS, SamplerSpec, make_scheduler, resolve_sampler_id

__all__ = ["NO_SAMPLER", "SAMPLERS", "SamplerSpec", "make_scheduler", "resolve_sampler_id"]
