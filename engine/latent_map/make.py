"""Latent maps of a loaded VAE or GAN: its planes and its decodes (torch: the engine thread's).

Decoding goes through the model's own `decode` with the engine's uint8 conversion
(engine/previews.py), so a map's cell is the picture `generate` makes from the same latent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from engine.errors import InvalidRecipe
from engine.kinds import Family
from engine.latent_map.plane import PRINCIPAL, RANDOM, LatentPlane, grid_latents, random_plane
from engine.latent_map.principal import pca_plane, regression_plane
from engine.models.loaded import DecoderModel
from engine.previews import images_to_uint8

GANSPACE_DRAWS = 1024  # prior draws decoded for a principal plane (about 0.2 s for the digits GAN on a CPU)
ENCODED_DIGITS = 3000  # training digits encoded for a VAE's principal plane (every third one)
GANSPACE_SEED = 0
ENCODE_BATCH = 1000


def class_ids(model: DecoderModel, label: str | None, count: int) -> torch.Tensor | None:
    """The class ids a decode takes: None for an unconditional model and for a VAE (its decoder takes
    no class; a fitted prior's labels only pick where z is drawn, and a map places z itself);
    InvalidRecipe when a class-conditional generator is given no label or one it does not have."""
    labels = model.info.labels
    if not labels or model.info.family == Family.VAE:
        return None
    if label is None or label not in labels:
        raise InvalidRecipe(f"model {model.info.name} draws one class at a time: pick one of {', '.join(labels)}"
                            + ("" if label is None else f" (not {label!r})"))
    return torch.full((count,), labels.index(label), dtype=torch.long, device=model.device)


@torch.inference_mode()
def decode_latents(model: DecoderModel, latents: np.ndarray, label: str | None = None) -> np.ndarray:
    """uint8 (N, H, W, C) images of latents (N, D), decoded in one batch."""
    latents = np.asarray(latents, dtype=np.float32).reshape(-1, model.latent_dim)
    z = torch.from_numpy(latents).to(model.device, model.dtype)
    images = model.decoder.decode(z, class_ids(model, label, len(latents)))
    array = images_to_uint8(images).cpu().numpy()
    array.flags.writeable = False
    return array


def decode_grid(model: DecoderModel, plane: LatentPlane, n: int) -> np.ndarray:
    """uint8 (n*n, H, W, C): the plane's n x n grid of decodes, row by row from the top left."""
    return decode_latents(model, grid_latents(plane, n), plane.label)


def make_plane(model: DecoderModel, kind: str = RANDOM, seed: int = 0, label: str | None = None, *,
               data_path: Path | None = None, draws: int = GANSPACE_DRAWS, digits: int = ENCODED_DIGITS) -> LatentPlane:
    """A plane for this model: random directions (from `seed`) or principal ones (PCA of the encoded
    training digits for a VAE that matches them, GANSpace-style for a GAN or any other decoder)."""
    name = model.info.name
    class_ids(model, label, 1)  # a class-conditional model needs its class before anything is drawn
    label = label if model.info.labels and model.info.family != Family.VAE else None
    if kind == RANDOM:
        return random_plane(model.latent_dim, seed, label=label, model=name)
    if kind != PRINCIPAL:
        raise InvalidRecipe(f"a latent map's plane is random or principal, not {kind!r}")
    latents = _encoded_digits(model, data_path, digits)
    if latents is not None:
        return pca_plane(latents, model=name)
    generator = torch.Generator("cpu").manual_seed(GANSPACE_SEED)
    prior = torch.randn(draws, model.latent_dim, generator=generator).numpy()
    images = decode_latents(model, prior, label).astype(np.float32)
    return regression_plane(prior, images, label=label, model=name)


@torch.inference_mode()
def _encoded_digits(model: DecoderModel, data_path: Path | None, count: int) -> np.ndarray | None:
    """The encoder's means of the training digits, or None when the model has no encoder or does
    not take the digits' shape (1 x 32 x 32), or the data file is not there."""
    from engine.training.data import IMAGE_SIZE, default_data_path, load_digits, split, to_model_input

    encode = getattr(model.decoder, "encode", None)
    info = model.info
    path = data_path or default_data_path()
    if encode is None or (info.channels, info.height, info.width) != (1, IMAGE_SIZE, IMAGE_SIZE) or not path.is_file():
        return None
    train, _ = split(load_digits(path))
    step = max(1, len(train.images) // count)  # evenly through the split: every class, a fixed subset
    images = to_model_input(train.images[::step][:count])
    means = [encode(images[at:at + ENCODE_BATCH].to(model.device, model.dtype))[0].float().cpu()
             for at in range(0, len(images), ENCODE_BATCH)]
    return torch.cat(means).numpy()
