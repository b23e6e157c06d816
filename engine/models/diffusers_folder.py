"""Loading diffusers pipeline folders (layout and description: formats/diffusers.py).

Pixel-space UNet2DModel folders are read here by hand (as before; this reader grows no further);
Stable Diffusion and SDXL folders go to diffusers' own from_pretrained (text_to_image_folder.py)."""

from __future__ import annotations

from pathlib import Path

import torch

from engine.errors import ModelLoadError
from engine.models.bundled import load_state, to_device
from engine.models.formats.diffusers import (  # noqa: F401 (re-exported for older callers)
    INDEX_NAME,
    WEIGHT_NAMES,
    diffusers_info,
    is_diffusers_folder,
    read_json,
    unet_parts,
)
from engine.models.info import ModelInfo
from engine.models.loaded import DiffusionModel, LoadedModel
from engine.models.weights import read_weights

_unet_parts = unet_parts  # the name older callers used


def load_diffusers(info: ModelInfo, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    if info.takes_text:  # SD / SDXL: diffusers' own pipeline class, not this hand-written reader
        from engine.models.text_to_image_folder import load_text_to_image

        return load_text_to_image(info, device, dtype)
    from diffusers import UNet2DModel

    folder = Path(info.source)
    config, weights = unet_parts(folder)
    scheduler_config = read_json(folder / "scheduler" / "scheduler_config.json")
    try:
        unet = UNet2DModel.from_config(config)
    except Exception as exc:
        raise ModelLoadError(f"{folder / 'unet' / 'config.json'}: cannot build the UNet ({exc})") from None
    load_state(unet, read_weights(weights), folder)
    to_device(unet, device, dtype)
    return DiffusionModel(info, unet, scheduler_config, None, device, dtype)
