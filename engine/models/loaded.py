"""Models in memory, ready to sample: one class per family shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import torch
from torch import nn

from engine.models.info import ModelInfo

if TYPE_CHECKING:
    from engine.models.latent_prior import LatentPrior


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


@runtime_checkable
class ImageDecoder(Protocol):
    """What a decoder model's module offers (the VAE's and the GAN's architectures both do)."""

    def decode(self, latents: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Latents (and class ids) in, images in [-1, 1] out."""
        ...


@dataclass
class DecoderModel:
    """VAE decoder or GAN generator: a latent (and a class id) in, an image out."""

    info: ModelInfo
    decoder: ImageDecoder
    latent_dim: int
    device: torch.device
    dtype: torch.dtype
    prior: LatentPrior | None = None  # a VAE's fitted latent prior (on the CPU, float32); None: N(0, I)


@dataclass
class TextToImageModel:
    """A Stable Diffusion (1.x/2.x) or SDXL pipeline in memory: a diffusers StableDiffusionPipeline or
    StableDiffusionXLPipeline built from local files only. The text-to-image loop uses pipe.unet,
    pipe.vae, pipe.encode_prompt and pipe.scheduler.config, never the pipeline's own __call__."""

    info: ModelInfo
    pipe: Any
    device: torch.device
    dtype: torch.dtype

    @property
    def scheduler_config(self) -> dict[str, Any]:
        return dict(self.pipe.scheduler.config)

    @property
    def prediction_type(self) -> str:
        return self.scheduler_config.get("prediction_type", "epsilon")

    @property
    def is_sdxl(self) -> bool:
        return getattr(self.pipe, "text_encoder_2", None) is not None


LoadedModel = DiffusionModel | DecoderModel | TextToImageModel
