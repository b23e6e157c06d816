"""The project's own model format: a folder with config.json + weights (safetensors).

config.json:
    format: "noisescope-model", format_version: 1
    name, family (diffusion | vae | gan), architecture, architecture_config, weights
    height, width, channels, labels (class names or null)
    diffusion: scheduler (a diffusers scheduler config), null_label (class id meaning "no label")
    vae / gan: latent_dim
    description, training, data, licence: for people and model cards
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from engine.errors import ModelLoadError
from engine.models.architectures import build_module
from engine.models.info import ModelInfo
from engine.models.loaded import DecoderModel, DiffusionModel, LoadedModel
from engine.models.weights import read_weights, safetensors_parameter_count

FORMAT = "noisescope-model"
CONFIG_NAME = "config.json"


def is_bundled_folder(folder: Path) -> bool:
    config = folder / CONFIG_NAME
    if not config.is_file():
        return False
    try:
        return json.loads(config.read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return True  # claims to be ours by name; reading it will say what is wrong


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG_NAME
    try:
        config = json.loads(path.read_text())
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise ModelLoadError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"{path}: expected a JSON object")
    missing = [k for k in ("name", "family", "architecture", "architecture_config", "height", "width", "channels")
               if k not in config]
    if missing:
        raise ModelLoadError(f"{path}: missing field(s) {', '.join(missing)}")
    if config["family"] not in ("diffusion", "vae", "gan"):
        raise ModelLoadError(f"{path}: family must be diffusion, vae or gan, not {config['family']!r}")
    if config["family"] == "diffusion" and "scheduler" not in config:
        raise ModelLoadError(f"{path}: a diffusion model needs a scheduler config")
    if config["family"] != "diffusion" and "latent_dim" not in config:
        raise ModelLoadError(f"{path}: a {config['family']} model needs latent_dim")
    return config


def weights_path(folder: Path, config: dict[str, Any]) -> Path:
    return folder / config.get("weights", "model.safetensors")


def bundled_info(folder: Path, origin: str) -> ModelInfo:
    config = read_config(folder)
    labels = config.get("labels")
    weights = weights_path(folder, config)
    return ModelInfo(
        name=str(config["name"]),
        family=config["family"],
        format="noisescope",
        source=str(folder),
        origin=origin,
        height=int(config["height"]),
        width=int(config["width"]),
        channels=int(config["channels"]),
        labels=tuple(str(label) for label in labels) if labels else None,
        supports_guidance=config.get("null_label") is not None,
        requires_label=bool(labels) and config["family"] == "diffusion" and config.get("null_label") is None,
        latent_dim=config.get("latent_dim"),
        parameters=safetensors_parameter_count(weights) if weights.suffix == ".safetensors" else None,
        description=str(config.get("description", "")),
    )


def load_bundled(info: ModelInfo, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    folder = Path(info.source)
    config = read_config(folder)
    module = build_module(config["architecture"], config["architecture_config"])
    load_state(module, read_weights(weights_path(folder, config)), folder)
    to_device(module, device, dtype)
    if info.family == "diffusion":
        return DiffusionModel(info, module, dict(config["scheduler"]), config.get("null_label"), device, dtype)
    return DecoderModel(info, module, int(config["latent_dim"]), device, dtype)


def to_device(module: torch.nn.Module, device: torch.device, dtype: torch.dtype) -> None:
    module.to(device).eval().requires_grad_(False)
    if dtype != torch.float32:  # weights are stored fp16 but loaded as fp32 unless the device wants half
        module.to(dtype)


def load_state(module: torch.nn.Module, state: dict[str, torch.Tensor], where: Path) -> None:
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        detail = " ".join(line.strip() for line in first[:3])[:300]
        raise ModelLoadError(
            f"{where}: the weights do not match the architecture in its config ({detail})"
        ) from None
