"""Starting a training run from an exported model's weights (`noisescope train --init MODEL`).

The bundled models ship only their EMA weights, not a checkpoint: the model and its EMA both
start from them, the optimizer starts fresh (with its warm-up), and the step count carries on
from the model's own, so a training curve reads in total steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from engine.errors import ModelLoadError
from engine.models.formats.noisescope import is_bundled_folder, read_config, weights_path
from engine.models.latent_prior import split_prior
from engine.models.weights import read_weights


def read_init(folder: Path, family: str) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The config and fp32 weights of a Noisescope model folder of this family; ValueError if not one."""
    if not folder.is_dir() or not is_bundled_folder(folder):
        raise ValueError(f"{folder} is not a Noisescope model folder (config.json and model.safetensors)")
    try:
        config = read_config(folder)
        weights = read_weights(weights_path(folder, config))
    except ModelLoadError as exc:
        raise ValueError(str(exc)) from None
    if config.get("family") != family:
        raise ValueError(f"{folder} is a {config.get('family')} model, not {family}")
    module, _ = split_prior(weights)  # a VAE's latent prior is not its module's: export fits a new one
    return config, {key: value.float() for key, value in module.items()}


SAMPLING_DEFAULTS = ("default_guidance", "default_guide")  # a config's chosen sampling settings


def sampling_defaults(config: dict[str, Any], labels: list[str] | None) -> dict[str, Any]:
    """The init model's sampling defaults (its guidance with a label, its autoguidance guide without),
    carried to the model trained on from it when that draws the same labels: they were chosen by
    looking at these weights' samples, and without them the continuation samples worse than its start."""
    if list(config.get("labels") or []) != list(labels or []):
        return {}
    return {key: config[key] for key in SAMPLING_DEFAULTS if key in config}


def model_step(config: dict[str, Any]) -> int:
    """The optimizer steps the model was trained for (0 if its config does not say)."""
    steps = config.get("training", {}).get("steps", 0)
    return steps if isinstance(steps, int) and not isinstance(steps, bool) and steps >= 0 else 0


def start_from(trainer, config: dict[str, Any], weights: dict[str, torch.Tensor]) -> None:
    """Model and EMA take the weights; the EMA at its full decay (it averages a trained model already)."""
    if config.get("architecture_config") != trainer.architecture_config:
        raise ValueError("its architecture differs from the one this run would train "
                         f"({config.get('architecture_config')} vs {trainer.architecture_config}): "
                         "pass the model's --widths (and a vae's --latent-dim)")
    for module in (trainer.model, trainer.ema.model):
        try:
            module.load_state_dict(weights, strict=True)
        except RuntimeError as exc:
            raise ValueError(f"its weights do not fit ({str(exc).strip().splitlines()[0][:200]})") from None
    step = model_step(config)
    trainer.step = step
    trainer.ema.updates = max(trainer.ema.updates, step)
