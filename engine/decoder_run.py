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
from engine.recipe_fields import STANDARD_PRIOR
from engine.seeds import has_variation, sample_variation_seed


def sample_latents(model: DecoderModel, recipe: Recipe) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Latents (and, for a decoder that takes them, class ids) for each sample, from its own seeded
    generator. A VAE with a fitted prior (unless the recipe asks for the standard one) turns each
    sample's standard-normal noise into its class's Gaussian; the class is the label asked, or one
    drawn by the prior's weights from the sample's generator. Its decoder takes no class."""
    generators, latents = start_noise(recipe, (model.latent_dim,))
    if model.prior is not None:
        if recipe.latent_prior == STANDARD_PRIOR:
            return latents, None  # z ~ N(0, I), what the VAE was trained towards
        classes = prior_classes(model, recipe, generators)
        if not has_variation(recipe):
            return model.prior.sample(latents, classes), None
        # A variation (an interpolation frame): the path from this seed's z to the variation seed's own,
        # its class drawn as that seed's own sample draws it, so strength 1 is that sample exactly.
        others = [torch.Generator("cpu").manual_seed(int(sample_variation_seed(recipe, i) or 0))
                  for i in range(recipe.batch)]
        for g in others:
            torch.randn((1, model.latent_dim), generator=g)  # its start noise comes first, as in start_noise
        towards = prior_classes(model, recipe, others)
        return model.prior.sample(latents, classes, towards, recipe.variation_strength), None
    labels = None
    if model.info.labels:
        if recipe.label is not None:
            labels = torch.full((recipe.batch,), model.info.labels.index(recipe.label), dtype=torch.long)
        else:  # no label asked for: each sample draws its class from its own generator
            count = len(model.info.labels)
            labels = torch.cat([torch.randint(0, count, (1,), generator=g) for g in generators])
    return latents, labels


def prior_classes(model: DecoderModel, recipe: Recipe, generators: list[torch.Generator]) -> torch.Tensor:
    """The class of each sample's Gaussian: the label asked, or drawn by weight from its generator."""
    assert model.prior is not None and model.info.labels is not None  # a prior comes with labels (read_config)
    if recipe.label is not None:
        return torch.full((len(generators),), model.info.labels.index(recipe.label), dtype=torch.long)
    return model.prior.draw_classes(generators)


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
