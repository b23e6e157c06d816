"""Samplers: names people know, each backed by a diffusers scheduler, and schedule types."""

from engine.samplers.registry import (
    NO_SAMPLER,
    SAMPLERS,
    SamplerSpec,
    check_schedule,
    make_scheduler,
    resolve_sampler_id,
)
from engine.samplers.schedules import DEFAULT_SCHEDULE, SCHEDULES, ScheduleSpec, resolve_schedule_id

__all__ = ["DEFAULT_SCHEDULE", "NO_SAMPLER", "SAMPLERS", "SCHEDULES", "SamplerSpec", "ScheduleSpec", "check_schedule",
           "make_scheduler", "resolve_sampler_id", "resolve_schedule_id"]
