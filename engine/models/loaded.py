"""Models in memory, ready to sample: one class per family shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from engine.models.info import ModelInfo


@dataclass
class DiffusionModel:
    info: ModelInfo
    unet: nn.Module
    scheduler_config: dict[str, Any]
    null_label: int | None  # the class id trained as "no label" (classifier-free guidance)
    device: torch.device
    dtype: torch.dtype

    @property
    def prediction_type(self) -> str:
        return self.scheduler_config.get("prediction_type", "epsilon")


@dataclass
class DecoderModel:
    """VAE decoder or GAN generator: a latent (and a class id) in, an image out."""

    info: ModelInfo
    decoder: nn.Module  # has .decode(latents, labels) -> images in [-1, 1]
    latent_dim: int
    device: torch.device
    dtype: torch.dtype


LoadedModel = DiffusionModel | DecoderModel
