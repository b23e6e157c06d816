"""Writing a model in the bundled format (training and tests use it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from engine.atomic import all_or_none, write_atomically
from engine.models.formats.noisescope import FORMAT


def save_bundled(folder: Path, config: dict[str, Any], module: torch.nn.Module, half: bool = True,
                 extra: dict[str, torch.Tensor] | None = None) -> Path:
    """Weights (fp16 when `half`, which loses nothing measurable for these models) + config.json.
    `extra`: more tensors for the weights file, stored as given (a VAE's latent prior, float32)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {"format": FORMAT, "format_version": 1, "weights": "model.safetensors", **config}
    state = {
        key: (value.half() if half and value.is_floating_point() else value).detach().cpu().contiguous()
        for key, value in module.state_dict().items()
    }
    state.update({key: value.detach().cpu().contiguous() for key, value in (extra or {}).items()})
    write_model_files(folder, config, state)
    return folder


def write_model_files(folder: Path, config: dict[str, Any], state: dict[str, torch.Tensor]) -> None:
    """The weights file and config.json, each written in full beside its target and the two renamed
    together at the end, so a crash leaves the old model (or none), never a half-written or mixed one."""
    def write_weights(path: Path) -> None:
        save_file(state, str(path))

    def write_config(path: Path) -> None:
        path.write_text(json.dumps(config, indent=2) + "\n")

    with all_or_none():
        write_atomically(folder / config.get("weights", "model.safetensors"), write_weights)
        write_atomically(folder / "config.json", write_config)

