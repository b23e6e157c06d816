"""The course of a diffusion run: which scheduler makes each step, from which sample.

A plain recipe: one scheduler over `recipe.steps`, from the seed's noise, as the loop always ran.

A branch (engine/branch.py) is made by DETERMINISTIC REPLAY: nothing is stored between runs. Its
lineage (the root run, then each branch and the step it starts from) is cut into segments, one
per recipe, and the loop runs them in turn from the root's seed. On the same device the loop is
deterministic, so the replayed steps and the sample at the branch point are the parent's, bit for
bit, and so is the parent's scheduler state there (a multistep sampler's history, the ancestral
generators' positions). At the branch point:

- Same sampler, schedule type and steps as the parent: the parent's scheduler carries on, with the
  branch's conditioning, guidance and eta from that step. With nothing changed, the branch IS the
  parent run and ends on its final image exactly, for every sampler.
- Another sampler, schedule type or step count: a fresh scheduler lays out its schedule for
  `steps` steps over the whole noise range, as a new run would (so `steps` keeps one meaning), and
  the branch runs the part of it at or below sigma_k, the noise level of the parent's step k:
  the "remaining steps". When that part starts below sigma_k, one more model evaluation, the
  BRIDGE (a deterministic DDIM/Euler step), first takes the sample from sigma_k down to it, so no
  noise is left in or taken out unasked. When no step of the new schedule is below sigma_k, the
  bridge goes to sigma 0 and its x0 is the image.

Step indices run on from the parent's: a branch's steps 0..k-1 are the parent's, step k is its
first own evaluation (the bridge, if any), so a branch scrubs as one whole run.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import torch

from engine.errors import InvalidRecipe
from engine.init_image import start_step
from engine.prediction import noise_levels, split_prediction
from engine.recipe import Recipe
from engine.samplers import SAMPLERS, make_scheduler
from engine.samplers.schedules import SCHEDULES

SAME_LEVEL = 1e-5  # relative: noise levels this close are one level (float32 rounding of one schedule)


@dataclass(frozen=True)
class Segment:
    recipe: Recipe  # the settings in force: conditioning, guidance, eta
    scheduler: Any
    timesteps: torch.Tensor
    timestep_values: list[float]
    levels: list[float]
    first: int  # the scheduler index of this segment's first scheduler step
    start: int  # global step index of its first step
    end: int  # global index one past its last step
    bridge: bool = False  # its first step moves the sample to levels[first] (or 0) instead of a scheduler step
    fresh: bool = True  # a scheduler of its own (False: the previous segment's carries on)

    def scheduler_index(self, step: int) -> int:
        return self.first + (step - self.start - int(self.bridge))

    def target_level(self) -> float:
        return self.levels[self.first] if self.first < len(self.levels) else 0.0


@dataclass
class Position:
    """One model evaluation: the loop sets `output` (the guided model output) before the next one."""

    index: int
    total: int
    t: torch.Tensor
    timestep: float
    sigma: float
    x_in: torch.Tensor  # the model's input (alpha space)
    recipe: Recipe  # the segment's settings: the conditioning and guidance to evaluate with
    output: torch.Tensor | None = None


class Course:
    """The segments of one run, planned before it starts (so Started knows the step count); walk() once."""

    def __init__(self, recipe: Recipe, scheduler_config: dict[str, Any], model_name: str, device: torch.device,
                 resolve: Callable[[Recipe], Recipe] = lambda recipe: recipe):
        self.device, self.model_name = device, model_name
        self._config, self._resolve = scheduler_config, resolve
        self.segments = self._plan(recipe)
        self.total = self.segments[-1].end
        self.x: torch.Tensor | None = None  # the final sample once walk() has run to the end

    @property
    def init_noise_sigma(self) -> float:
        return float(self.segments[0].scheduler.init_noise_sigma)

    # -- planning (before Started: cheap, no model) -----------------------------------------
    def _schedule(self, recipe: Recipe) -> tuple[Any, torch.Tensor, list[float], list[float]]:
        scheduler = make_scheduler(recipe.sampler, self._config, recipe.schedule)
        scheduler.set_timesteps(recipe.steps, device=self.device)
        timesteps = scheduler.timesteps
        values = timesteps.detach().cpu().tolist()
        refuse_repeated_timesteps(scheduler, recipe, values, self.model_name)
        return scheduler, timesteps, values, noise_levels(scheduler)

    def _plan(self, recipe: Recipe) -> list[Segment]:
        recipe = self._resolve(recipe)
        if recipe.branch is None:
            scheduler, timesteps, values, levels = self._schedule(recipe)
            # Image-to-image starts part-way, as diffusers' img2img: at step N - int(N * strength) (engine/init_image.py).
            first = 0 if recipe.init_image is None else start_step(recipe.steps, recipe.strength) * scheduler.order
            if hasattr(scheduler, "set_begin_index"):
                scheduler.set_begin_index(first)
            return [Segment(recipe, scheduler, timesteps, values, levels, first, 0, len(timesteps) - first)]
        parent, k = self._plan(recipe.branch.parent), recipe.branch.from_step
        parent_total = parent[-1].end
        if k >= parent_total:
            raise InvalidRecipe(f"branch from step {k}: its parent run has {parent_total} steps (0 to "
                                f"{parent_total - 1}); pick one of those")
        kept = [segment for segment in parent if segment.start < k] or parent[:1]  # k = 0: from the noise
        kept[-1] = before = replace(kept[-1], end=k)
        return [*kept, self._continue(recipe, before, k)]

    def _continue(self, recipe: Recipe, before: Segment, k: int) -> Segment:
        at = before.scheduler_index(k)
        same = all(getattr(recipe, name) == getattr(before.recipe, name) for name in ("sampler", "schedule", "steps"))
        if same:  # the parent's scheduler carries on, state and all
            return replace(before, recipe=recipe, first=at, start=k, end=k + len(before.timesteps) - at,
                           bridge=False, fresh=False)
        sigma = before.levels[at]
        scheduler, timesteps, values, levels = self._schedule(recipe)
        below = [i for i, level in enumerate(levels) if level <= sigma * (1 + SAME_LEVEL)]
        first = below[0] if below else len(levels)
        while first + 1 < len(levels) and levels[first + 1] == levels[first]:
            first += 1  # Heun lists each level twice: start at the first-order half of its step
        bridge = first == len(levels) or levels[first] < sigma * (1 - SAME_LEVEL)
        if hasattr(scheduler, "set_begin_index"):
            scheduler.set_begin_index(min(first, len(levels) - 1))
        return Segment(recipe, scheduler, timesteps, values, levels, first, k,
                       k + int(bridge) + len(levels) - first, bridge=bridge, fresh=True)

    # -- running ------------------------------------------------------------------------------
    def walk(self, noise: torch.Tensor, generators: list[torch.Generator],
             prediction_type: str, start: torch.Tensor | None = None) -> Iterator[Position]:
        """A Position per model evaluation, in order; self.x is the final sample afterwards. `start`: the
        first sample when it is not the noise (image-to-image: the init image noised, engine/img2img.py)."""
        x = start.to(self.device) if start is not None else noise.to(self.device) * self.init_noise_sigma
        previous: Segment | None = None
        for segment in self.segments:
            scheduler, kwargs = segment.scheduler, step_kwargs(segment.scheduler, segment.recipe, generators)
            index = segment.start
            if previous is not None and segment.fresh:
                at = previous.scheduler_index(segment.start)
                t, sigma = previous.timesteps[at], previous.levels[at]
                x_vp = previous.scheduler.scale_model_input(x, t)  # alpha space: what any scheduler converts from
                if segment.bridge:
                    position = Position(index, self.total, t, previous.timestep_values[at], sigma, x_vp,
                                        segment.recipe)
                    yield position
                    x_vp = _move(position, segment.target_level(), prediction_type)
                    index += 1
                x = x_vp / _input_scale(segment) if segment.first < len(segment.levels) else x_vp
            for at in range(segment.first, segment.scheduler_index(segment.end)):
                t = segment.timesteps[at]
                x_in = scheduler.scale_model_input(x, t)
                position = Position(index, self.total, t, segment.timestep_values[at], segment.levels[at], x_in,
                                    segment.recipe)
                yield position
                x = scheduler.step(position.output, t, x, **kwargs).prev_sample
                index += 1
            previous = segment
        self.x = x


def _move(position: Position, level: float, prediction_type: str) -> torch.Tensor:
    """The bridge: the sample at position.sigma moved to `level` along the model's prediction
    (a DDIM step at eta 0), in alpha space: x = (x0 + level * eps) / sqrt(1 + level^2)."""
    assert position.output is not None, "the loop sets each position's output"
    x_in = position.x_in.float()
    x0, eps = split_prediction(position.output.float(), x_in, position.sigma, prediction_type)
    return ((x0 + level * eps) / math.sqrt(1.0 + level * level)).to(position.x_in.dtype)


def _input_scale(segment: Segment) -> torch.Tensor:
    """What the segment's scheduler multiplies its sample by to make the model's input, at its first step
    (1 for DDPM-style schedulers, 1/sqrt(sigma^2 + 1) for Euler-style ones)."""
    probe = torch.ones(1, device=segment.timesteps.device)
    return segment.scheduler.scale_model_input(probe, segment.timesteps[segment.first])


def step_kwargs(scheduler, recipe: Recipe, generators: list[torch.Generator]) -> dict[str, Any]:
    accepted = inspect.signature(scheduler.step).parameters
    kwargs: dict[str, Any] = {}
    if "generator" in accepted:
        kwargs["generator"] = generators  # one per sample: ancestral noise is per-sample too
    if SAMPLERS[recipe.sampler].uses_eta:
        kwargs["eta"] = recipe.eta
    return kwargs


def refuse_repeated_timesteps(scheduler, recipe: Recipe, timesteps: list[float], model_name: str) -> None:
    """Multistep samplers on integer timesteps (DPM++ 2M, UniPC) with a Karras or exponential
    schedule: when the model's top noise level is very high (the cosine schedule's is ~20,000),
    many noise levels round to the same timestep and diffusers' step counter overruns. Say so
    before the run instead of failing mid-run. Heun repeats timesteps on purpose (order 2)."""
    if getattr(scheduler, "order", 1) != 1 or len(set(timesteps)) == len(timesteps):
        return
    sampler, schedule = SAMPLERS[recipe.sampler].display_name, SCHEDULES[recipe.schedule].display_name
    raise InvalidRecipe(
        f"{sampler} with the {schedule} schedule repeats timesteps on {model_name} at {recipe.steps} steps "
        f"(its noise schedule starts very high); use Euler or Heun with {schedule}, or the default schedule"
    )
