"""VAE and GAN sampling: one decode of seeded latents, as the same events a diffusion run yields."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import torch

from engine.events import Cancelled, Event, Finished, Step, started
from engine.models.loaded import DecoderModel
from engine.noise import start_noise
from engine.previews import images_to_uint8, to_numpy
from engine.recipe import Recipe


def sample_latents(model: DecoderModel, recipe: Recipe) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Latents (and class ids) for each sample, from its own seeded generator."""
    generators, latents = start_noise(recipe, (model.latent_dim,))
    labels = None
    if model.info.labels:
        if recipe.label is not None:
            labels = torch.full((recipe.batch,), model.info.labels.index(recipe.label), dtype=torch.long)
        else:  # no label asked for: each sample draws its class from its own generator
            count = len(model.info.labels)
            labels = torch.cat([torch.randint(0, count, (1,), generator=g) for g in generators])
    return latents, labels


@torch.inference_mode()
def decode(model: DecoderModel, recipe: Recipe, cancel: threading.Event | None = None) -> Iterator[Event]:
    yield started(recipe, 1, model)
    began = time.perf_counter()
    if cancel is not None and cancel.is_set():
        yield Cancelled(recipe, at_step=0)
        return
    latents, labels = sample_latents(model, recipe)
    images = model.decoder.decode(
        latents.to(model.device, model.dtype), None if labels is None else labels.to(model.device)
    )
    frame = to_numpy(images_to_uint8(images))
    yield Step(0, 1, 0.0, 0.0, frame, frame, None, time.perf_counter() - began)
    yield Finished(recipe, frame, time.perf_counter() - began)
