"""The denoising loop, written out: one model evaluation, one scheduler step, one event."""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Iterator
from typing import Any

import torch

from engine.errors import InvalidRecipe
from engine.events import Cancelled, Event, Finished, Step, frozen_array, started
from engine.models.loaded import DiffusionModel
from engine.noise import initial_noise, sample_generators
from engine.prediction import noise_levels, split_prediction
from engine.previews import PreviewPipe, images_to_uint8, step_previews, to_numpy
from engine.recipe import Recipe
from engine.samplers import SAMPLERS, make_scheduler
from engine.samplers.schedules import SCHEDULES


@torch.inference_mode()
def denoise(model: DiffusionModel, recipe: Recipe, cancel: threading.Event | None = None,
            previews: bool = True) -> Iterator[Event]:
    """Yields a Step per model evaluation, then Finished (or Cancelled at the next step)."""
    began = time.perf_counter()
    device, info = model.device, model.info
    scheduler = make_scheduler(recipe.sampler, model.scheduler_config, recipe.schedule)
    scheduler.set_timesteps(recipe.steps, device=device)
    timesteps = scheduler.timesteps
    levels = noise_levels(scheduler)
    timestep_values = timesteps.detach().cpu().tolist()
    _refuse_repeated_timesteps(scheduler, recipe, timestep_values, info.name)
    yield started(recipe, len(timesteps), model)

    generators = sample_generators(recipe.seed, recipe.batch)
    noise = initial_noise(generators, (info.channels, info.height, info.width))
    x = noise.to(device) * float(scheduler.init_noise_sigma)

    labels, guidance = _class_labels(model, recipe)
    step_kwargs = _step_kwargs(scheduler, recipe, generators)
    pipe: PreviewPipe[Step] = PreviewPipe(device)
    total = len(timesteps)

    for index, t in enumerate(timesteps):
        if cancel is not None and cancel.is_set():
            yield from pipe.flush()
            yield Cancelled(recipe, at_step=index)
            return
        x_in = scheduler.scale_model_input(x, t)
        output = _predict(model, x_in, t, labels, guidance)
        if previews:
            x0, eps = split_prediction(output, x_in, levels[index], model.prediction_type)

            def build(arrays, index=index):
                x_t, x0, noise = arrays[0]  # read-only views of one host array
                return Step(index, total, timestep_values[index], levels[index], x_t, x0, noise,
                            time.perf_counter() - began)

            yield from pipe.push([step_previews(x_in, x0, eps)], build)
        x = scheduler.step(output, t, x, **step_kwargs).prev_sample

    yield from pipe.flush()
    images = frozen_array(to_numpy(images_to_uint8(x)))
    yield Finished(recipe, images, time.perf_counter() - began)


def _predict(model: DiffusionModel, x_in: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None,
             guidance: float | None) -> torch.Tensor:
    """The model output in float32; with guidance, conditional and unconditional in one batch."""
    x_in = x_in.to(model.dtype)
    if guidance is not None:  # labels holds the asked class for the first half of the batch, the null class for the second
        both = model.unet(torch.cat([x_in, x_in]), t, class_labels=labels).sample
        conditional, unconditional = both.float().chunk(2)
        return unconditional + guidance * (conditional - unconditional)
    return model.unet(x_in, t, class_labels=labels).sample.float()


def _class_labels(model: DiffusionModel, recipe: Recipe) -> tuple[torch.Tensor | None, float | None]:
    """The class ids to feed the model and the guidance scale (None: unguided, one pass per step)."""
    info, null = model.info, model.null_label
    if not info.labels:
        return None, None
    if recipe.label is not None:
        index = info.labels.index(recipe.label)
    elif null is not None:
        index = null
    else:
        return None, None  # check_against_model refuses this for label-only models
    labels = torch.full((recipe.batch,), index, dtype=torch.long)
    # Guided: a label asked for, a null class to contrast it with, and a scale that changes something.
    guidance = recipe.guidance
    if recipe.label is None or null is None or guidance is None or guidance == 1.0:
        return labels.to(model.device), None
    labels = torch.cat([labels, torch.full_like(labels, null)])
    return labels.to(model.device), guidance


def _step_kwargs(scheduler, recipe: Recipe, generators: list[torch.Generator]) -> dict[str, Any]:
    accepted = inspect.signature(scheduler.step).parameters
    kwargs: dict[str, Any] = {}
    if "generator" in accepted:
        kwargs["generator"] = generators  # one per sample: ancestral noise is per-sample too
    if SAMPLERS[recipe.sampler].uses_eta:
        kwargs["eta"] = recipe.eta
    return kwargs


def _refuse_repeated_timesteps(scheduler, recipe: Recipe, timesteps: list[float], model_name: str) -> None:
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
