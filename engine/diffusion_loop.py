"""The denoising loop, written out: one model evaluation, one scheduler step, one event.

A guided step evaluates twice: classifier-free guidance runs the label and the null label in one
batch; autoguidance (engine/autoguidance.py) runs the model and its guide, a weaker model, on the
same input and labels."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import torch

from engine.course import Course, refuse_repeated_timesteps, step_kwargs
from engine.events import Cancelled, Event, Finished, Step, frozen_array, started
from engine.img2img import init_pixels, pixel_start
from engine.models.loaded import DiffusionModel
from engine.noise import start_noise
from engine.prediction import guidance_noise, split_prediction
from engine.previews import PreviewPipe, images_to_uint8, step_previews, to_numpy
from engine.recipe import Recipe
from engine.trajectory import GUIDED_VIEWS

# Kept under their old names: text-to-image and older callers import them from here.
_step_kwargs, _refuse_repeated_timesteps = step_kwargs, refuse_repeated_timesteps


@torch.inference_mode()
def denoise(model: DiffusionModel, recipe: Recipe, cancel: threading.Event | None = None,
            previews: bool = True, guide: DiffusionModel | None = None) -> Iterator[Event]:
    """Yields a Step per model evaluation, then Finished (or Cancelled at the next step). `guide`:
    the recipe's guide model, loaded (engine/run.py), for autoguidance."""
    began = time.perf_counter()
    device, info = model.device, model.info
    # One scheduler for a plain recipe; a branch replays its parent first (engine/course.py).
    course = Course(recipe, model.scheduler_config, info.name, device, lambda r: r.check_against_model(info))
    init, notices = init_pixels(course, info.height, info.width, info.channels)  # image-to-image (or None)
    yield started(recipe, course.total, model, notices)

    generators, noise = start_noise(course.segments[0].recipe, (info.channels, info.height, info.width))
    start = pixel_start(course, init, noise, device)
    conditions: dict[int, tuple[torch.Tensor | None, float | None]] = {}  # per segment recipe: labels, guidance
    pipe: PreviewPipe[Step] = PreviewPipe(device)
    total = course.total

    for position in course.walk(noise, generators, model.prediction_type, start):
        index, x_in, t = position.index, position.x_in, position.t
        if cancel is not None and cancel.is_set():
            yield from pipe.flush()
            yield Cancelled(recipe, at_step=index)
            return
        if id(position.recipe) not in conditions:
            conditions[id(position.recipe)] = _class_labels(model, position.recipe, guide is not None)
        labels, guidance = conditions[id(position.recipe)]
        output, halves = _predict(model, x_in, t, labels, guidance, guide)
        position.output = output
        if previews:
            x0, eps = split_prediction(output, x_in, position.sigma, model.prediction_type)
            guided = () if halves is None or guidance is None else guidance_noise(
                *halves, x_in, position.sigma, model.prediction_type, guidance)

            def build(arrays, index=index, timestep=position.timestep, sigma=position.sigma):
                x_t, x0, noise, *guided = arrays[0]  # read-only views of one host array
                return Step(index, total, timestep, sigma, x_t, x0, noise, time.perf_counter() - began,
                            **dict(zip(GUIDED_VIEWS, guided)))

            yield from pipe.push([step_previews(x_in, x0, eps, *guided)], build)

    x = course.x
    assert x is not None
    yield from pipe.flush()
    images = frozen_array(to_numpy(images_to_uint8(x)))
    yield Finished(recipe, images, time.perf_counter() - began)


def _predict(model: DiffusionModel, x_in: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None,
             guidance: float | None, guide: DiffusionModel | None = None,
             ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
    """The model output in float32; with guidance, conditional and unconditional in one batch,
    and those two halves as well (for the guided run's previews). With a guide (autoguidance) the
    halves are the model's and the guide's outputs, on the same input and labels."""
    if guide is not None and guidance is not None:
        own = model.unet(x_in.to(model.dtype), t, class_labels=labels).sample.float()
        weak = guide.unet(x_in.to(guide.dtype), t, class_labels=labels).sample.float()
        return weak + guidance * (own - weak), (own, weak)
    x_in = x_in.to(model.dtype)
    if guidance is not None:  # labels holds the asked class for the first half of the batch, the null class for the second
        both = model.unet(torch.cat([x_in, x_in]), t, class_labels=labels).sample
        conditional, unconditional = both.float().chunk(2)
        return unconditional + guidance * (conditional - unconditional), (conditional, unconditional)
    return model.unet(x_in, t, class_labels=labels).sample.float(), None


def _class_labels(model: DiffusionModel, recipe: Recipe,
                  autoguided: bool = False) -> tuple[torch.Tensor | None, float | None]:
    """The class ids to feed the model and the guidance scale (None: unguided, one pass per step).
    Autoguided: the same labels for model and guide, and the guidance is its weight."""
    info, null = model.info, model.null_label
    weight = recipe.guidance if autoguided and recipe.guidance != 1.0 else None  # w = 1: the model alone
    if not info.labels:
        return None, weight
    if recipe.label is not None:
        index = info.labels.index(recipe.label)
    elif null is not None:
        index = null
    else:
        return None, None  # check_against_model refuses this for label-only models
    labels = torch.full((recipe.batch,), index, dtype=torch.long)
    if autoguided:
        return labels.to(model.device), weight
    # Guided: a label asked for, a null class to contrast it with, and a scale that changes something.
    guidance = recipe.guidance
    if recipe.label is None or null is None or guidance is None or guidance == 1.0:
        return labels.to(model.device), None
    labels = torch.cat([labels, torch.full_like(labels, null)])
    return labels.to(model.device), guidance
