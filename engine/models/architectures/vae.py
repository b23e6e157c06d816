"""A small convolutional VAE: 32x32 images <-> a Gaussian latent."""

from __future__ import annotations

import torch
from torch import nn


class ConvVAE(nn.Module):
    def __init__(self, channels: int = 1, image_size: int = 32, latent_dim: int = 16,
                 widths: tuple[int, ...] | list[int] = (32, 64, 128)):
        super().__init__()
        widths = list(widths)
        self.latent_dim = latent_dim
        self.bottom = image_size // 2 ** len(widths)
        self.widths = widths
        encoder: list[nn.Module] = []
        previous = channels
        for width in widths:
            encoder += [nn.Conv2d(previous, width, 4, 2, 1), nn.BatchNorm2d(width), nn.SiLU()]
            previous = width
        self.encoder = nn.Sequential(*encoder, nn.Flatten())
        flat = widths[-1] * self.bottom * self.bottom
        self.to_mu = nn.Linear(flat, latent_dim)
        self.to_logvar = nn.Linear(flat, latent_dim)
        self.from_latent = nn.Linear(latent_dim, flat)
        decoder: list[nn.Module] = []
        reversed_widths = widths[::-1]
        for width, next_width in zip(reversed_widths, reversed_widths[1:] + [None]):
            if next_width is None:
                decoder += [nn.ConvTranspose2d(width, channels, 4, 2, 1)]
            else:
                decoder += [nn.ConvTranspose2d(width, next_width, 4, 2, 1), nn.BatchNorm2d(next_width), nn.SiLU()]
        self.decoder = nn.Sequential(*decoder)

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """images in [-1, 1] -> (mu, logvar)."""
        features = self.encoder(images)
        return self.to_mu(features), self.to_logvar(features)

    def decode_logits(self, latents: torch.Tensor) -> torch.Tensor:
        features = self.from_latent(latents).view(-1, self.widths[-1], self.bottom, self.bottom)
        return self.decoder(features)

    def decode(self, latents: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """latents -> images in [-1, 1]."""
        return torch.sigmoid(self.decode_logits(latents)) * 2 - 1
