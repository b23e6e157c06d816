"""Diffusers pipeline folders, as `DDPMPipeline.save_pretrained` writes them:
model_index.json, unet/ (config.json + weights), scheduler/ (scheduler_config.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from engine.errors import ModelLoadError
from engine.models.bundled import load_state, to_device
from engine.models.info import ModelInfo
from engine.models.loaded import DiffusionModel
from engine.models.weights import read_weights, safetensors_parameter_count

INDEX_NAME = "model_index.json"
WEIGHT_NAMES = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")


def is_diffusers_folder(folder: Path) -> bool:
    return (folder / INDEX_NAME).is_file()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: missing (a diffusers folder needs unet/ and scheduler/ configs)") from None
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise ModelLoadError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path}: expected a JSON object")
    return data


def _unet_parts(folder: Path) -> tuple[dict[str, Any], Path]:
    index = _read_json(folder / INDEX_NAME)
    unet_entry = index.get("unet")
    if not (isinstance(unet_entry, list) and len(unet_entry) == 2 and unet_entry[1] == "UNet2DModel"):
        raise ModelLoadError(
            f"{folder}: only unconditional or class-conditional UNet2DModel pipelines are supported "
            f"(model_index.json says unet is {unet_entry!r})"
        )
    config = _read_json(folder / "unet" / "config.json")
    for name in WEIGHT_NAMES:
        if (folder / "unet" / name).is_file():
            return config, folder / "unet" / name
    raise ModelLoadError(f"{folder / 'unet'}: no weights ({' or '.join(WEIGHT_NAMES)})")


def diffusers_info(folder: Path, origin: str) -> ModelInfo:
    config, weights = _unet_parts(folder)
    sample_size = config.get("sample_size", 32)
    height, width = (sample_size, sample_size) if isinstance(sample_size, int) else tuple(sample_size)
    classes = config.get("num_class_embeds")
    return ModelInfo(
        name=folder.name,
        family="diffusion",
        format="diffusers",
        source=str(folder),
        origin=origin,
        height=int(height),
        width=int(width),
        channels=int(config.get("in_channels", 3)),
        labels=tuple(str(i) for i in range(classes)) if classes else None,
        requires_label=bool(classes),
        parameters=safetensors_parameter_count(weights) if weights.suffix == ".safetensors" else None,
        description="diffusers pipeline folder",
    )


def load_diffusers(info: ModelInfo, device: torch.device, dtype: torch.dtype) -> DiffusionModel:
    from diffusers import UNet2DModel

    folder = Path(info.source)
    config, weights = _unet_parts(folder)
    scheduler_config = _read_json(folder / "scheduler" / "scheduler_config.json")
    try:
        unet = UNet2DModel.from_config(config)
    except Exception as exc:
        raise ModelLoadError(f"{folder / 'unet' / 'config.json'}: cannot build the UNet ({exc})") from None
    load_state(unet, read_weights(weights), folder)
    to_device(unet, device, dtype)
    return DiffusionModel(info, unet, scheduler_config, None, device, dtype)
