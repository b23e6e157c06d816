"""Encode a picture (a drawing) with a VAE: where it sits in latent space, and what the VAE makes of it.

encode_image runs on the engine's thread (the window's `call` job, or a script): the model is found
in the catalog and loaded through the shared ModelCache, the picture is made the model's size, and
the encoder's mean is the drawing's z (deterministic: the same drawing, the same point). Decoding z
gives the reconstruction. A model without an encoder (a GAN, a diffusion model) gets a message
saying what it can do instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.device import pick_dtype, resolve_device
from engine.errors import InvalidRecipe
from engine.kinds import Family
from engine.model_cache import ModelCache, shared_model_cache
from engine.models.catalog import find_model
from engine.models.info import ModelInfo
from engine.models.loaded import DecoderModel
from engine.previews import images_to_uint8, to_numpy

MNIST_PAD = 4  # a 28x28 digit on a 32x32 model: 2 px of black each side, as in training


@dataclass(frozen=True)
class Encoded:
    model: str
    z: np.ndarray  # (latent_dim,) float32: the encoder's mean
    image: np.ndarray  # (H, W, C) uint8: the picture as the model saw it
    reconstruction: np.ndarray  # (H, W, C) uint8: the decode of z


def check_encoder(info: ModelInfo) -> None:
    """InvalidRecipe saying why a model cannot encode a drawing, and what to do instead."""
    if info.family == Family.VAE:
        return
    if info.family == Family.GAN:
        raise InvalidRecipe(f"model {info.name} is a GAN: it has no encoder, so a drawing has no place in its "
                            "latent space; pick a VAE (digits-vae) to encode it")
    raise InvalidRecipe(f"model {info.name} is a diffusion model: it has no encoder to place a drawing in a latent "
                        "space; use the drawing as its init image instead (image-to-image), or pick a VAE to encode it")


def encode_image(model_name: str, pixels: np.ndarray, *, device: str = "auto", cache: ModelCache | None = None,
                 extra_model_paths: Iterable[Path] = ()) -> Encoded:
    """pixels: uint8 (H, W) or (H, W, C). InvalidRecipe for a model without an encoder."""
    info = find_model(model_name, extra_model_paths)
    check_encoder(info)
    torch_device = resolve_device(device)
    # The runs' cache by default: an encode after a run reuses its model.
    model = (cache or shared_model_cache()).get(info, torch_device, pick_dtype(torch_device))
    if not isinstance(model, DecoderModel) or not hasattr(model.decoder, "encode"):
        raise InvalidRecipe(f"model {info.name}'s architecture has no encoder; pick a VAE that has one")
    image = fit(pixels, info.height, info.width, info.channels)
    with torch.inference_mode():
        x = torch.from_numpy(image.astype(np.float32) / 127.5 - 1.0).permute(2, 0, 1).unsqueeze(0)
        mean, _ = model.decoder.encode(x.to(model.device, model.dtype))
        reconstruction = to_numpy(images_to_uint8(model.decoder.decode(mean)))[0]
        z = mean[0].float().cpu().numpy().copy()
    return Encoded(info.name, z, image, reconstruction)


def fit(pixels: np.ndarray, height: int, width: int, channels: int) -> np.ndarray:
    """uint8 (height, width, channels): a 28x28 digit padded to 32 as in training, another size resized."""
    from PIL import Image

    array = np.asarray(pixels, dtype=np.uint8)
    if array.ndim == 3 and (array.shape[-1] == 1 or channels == 1):
        array = array.mean(axis=-1).round().astype(np.uint8)  # grey: a colour picture's mean
    if array.ndim == 2 and array.shape == (height - MNIST_PAD, width - MNIST_PAD):
        array = np.pad(array, MNIST_PAD // 2)
    elif array.shape[:2] != (height, width):
        array = np.asarray(Image.fromarray(array).resize((width, height), Image.Resampling.LANCZOS))
    return np.repeat(array[..., None], channels, axis=-1) if array.ndim == 2 else array
