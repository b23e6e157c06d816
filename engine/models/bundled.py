"""Loading the project's own model format (the folder layout is described in formats/noisescope.py).

Reading config.json and describing the model need no torch and live in formats/noisescope.py;
this module holds the torch side: build the architecture, load the weights, move to the device.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from engine.errors import ModelLoadError
from engine.kinds import Family
from engine.models.architectures import build_module
from engine.models.formats.noisescope import (  # noqa: F401 (re-exported for older callers)
    CONFIG_NAME,
    FORMAT,
    PRIOR_KIND,
    bundled_info,
    is_bundled_folder,
    parameter_count,
    read_config,
    weights_path,
)
from engine.models.info import ModelInfo
from engine.models.latent_prior import LatentPrior, split_prior
from engine.models.loaded import DecoderModel, DiffusionModel, ImageDecoder, LoadedModel
from engine.models.weights import read_weights


def load_bundled(info: ModelInfo, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    folder = Path(info.source)
    config = read_config(folder)
    weights = weights_path(folder, config)
    # Checked and sized on the meta device first: nothing larger than the weights is allocated.
    module = build_module(config["architecture"], config["architecture_config"], folder / CONFIG_NAME,
                          parameter_count(weights))
    state, prior_state = split_prior(read_weights(weights))
    prior = read_prior(config, prior_state, weights)
    load_state(module, state, folder)
    to_device(module, device, dtype)
    if info.family == Family.DIFFUSION:
        return DiffusionModel(info, module, dict(config["scheduler"]), config.get("null_label"), device, dtype)
    if not isinstance(module, ImageDecoder):
        raise ModelLoadError(f"{folder}: architecture {config['architecture']!r} has no decode(), "
                             f"so it cannot run as a {info.family} model")
    return DecoderModel(info, module, int(config["latent_dim"]), device, dtype, prior)


def read_prior(config: dict[str, Any], prior_state: dict[str, torch.Tensor], weights: Path) -> LatentPrior | None:
    """The fitted latent prior the config names (read_config checked the name), from the weights'
    `latent_prior.` tensors; ModelLoadError when the two do not agree or the tensors are not a prior."""
    if config.get("latent_prior") != PRIOR_KIND:
        if prior_state:
            raise ModelLoadError(f"{weights}: holds latent prior tensors ({', '.join(sorted(prior_state))}) but "
                                 f"config.json names no latent_prior: run `noisescope fit-prior` on "
                                 f"{weights.parent} to write both again")
        return None
    return LatentPrior.from_state(prior_state, len(config["labels"]), int(config["latent_dim"]), weights)


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
