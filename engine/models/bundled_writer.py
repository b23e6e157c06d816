"""Writing a model in the bundled format (training and tests use it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from engine.atomic import write_atomically
from engine.models.formats.noisescope import FORMAT


def save_bundled(folder: Path, config: dict[str, Any], module: torch.nn.Module, half: bool = True) -> Path:
    """Weights (fp16 when `half`, which loses nothing measurable for these models) + config.json,
    each written to a temporary file and renamed, so a crash never leaves a half-written model."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {"format": FORMAT, "format_version": 1, "weights": "model.safetensors", **config}
    state = {
        key: (value.half() if half and value.is_floating_point() else value).detach().cpu().contiguous()
        for key, value in module.state_dict().items()
    }
    def write_weights(path: Path) -> None:
        save_file(state, str(path))

    def write_config(path: Path) -> None:
        path.write_text(json.dumps(config, indent=2) + "\n")

    write_atomically(folder / config["weights"], write_weights)
    write_atomically(folder / "config.json", write_config)
    return folder

