"""Loading diffusers pipeline folders (layout and description: formats/diffusers.py).

Pixel-space UNet2DModel folders are read here by hand (as before; this reader grows no further);
Stable Diffusion and SDXL folders go to diffusers' own from_pretrained (text_to_image_folder.py)."""

from __future__ import annotations

from pathlib import Path

import torch

from engine.models.architectures import build_module
from engine.models.bundled import load_state, to_device
from engine.models.formats.diffusers import (  # noqa: F401 (re-exported for older callers)
    INDEX_NAME,
    WEIGHT_NAMES,
    diffusers_info,
    is_diffusers_folder,
    read_json,
    unet_files,
    unet_parts,
)
from engine.models.info import ModelInfo
from engine.models.loaded import DiffusionModel, LoadedModel
from engine.models.safetensors_header import safetensors_parameter_count
from engine.models.weights import read_weights

_unet_parts = unet_parts  # the name older callers used


def load_diffusers(info: ModelInfo, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    if info.takes_text:  # SD / SDXL: diffusers' own pipeline class, not this hand-written reader
        from engine.models.text_to_image_folder import load_text_to_image

        return load_text_to_image(info, device, dtype)
    folder = Path(info.source)
    config, weights = unet_files(folder)  # checked sizes and types; one file, its fp16 variant, or shards
    scheduler_config = read_json(folder / "scheduler" / "scheduler_config.json")
    counts = [safetensors_parameter_count(w) for w in weights if w.suffix.lower() == ".safetensors"]
    expected = sum(c for c in counts if c) if all(counts) and len(counts) == len(weights) else None
    # Sized on the meta device first: a config that builds more than its weights hold is refused.
    unet = build_module("UNet2DModel", config, folder / "unet" / "config.json", expected)
    state: dict[str, torch.Tensor] = {}
    for path in weights:
        state.update(read_weights(path))
    load_state(unet, state, folder)
    to_device(unet, device, dtype)
    return DiffusionModel(info, unet, scheduler_config, None, device, dtype)
