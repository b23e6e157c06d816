"""The architectures of the bundled format, by the name a config.json gives them."""

from __future__ import annotations

from typing import Any

from torch import nn

from engine.errors import ModelLoadError


def build_module(architecture: str, config: dict[str, Any]) -> nn.Module:
    """Build an untrained module from its config; weights are loaded separately and safely."""
    if architecture == "UNet2DModel":
        from diffusers import UNet2DModel

        return UNet2DModel.from_config(config)
    if architecture == "ConvVAE":
        from engine.models.architectures.vae import ConvVAE

        return ConvVAE(**config)
    if architecture == "DCGANGenerator":
        from engine.models.architectures.gan import DCGANGenerator

        return DCGANGenerator(**config)
    raise ModelLoadError(
        f"unknown architecture {architecture!r}; this Noisescope builds UNet2DModel, ConvVAE and DCGANGenerator"
    )
