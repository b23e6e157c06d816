"""DCGAN-style generator (optionally class-conditional) and the discriminator it trains against."""

from __future__ import annotations

import torch
from torch import nn


class DCGANGenerator(nn.Module):
    def __init__(self, latent_dim: int = 64, num_classes: int = 0, channels: int = 1, image_size: int = 32,
                 widths: tuple[int, ...] | list[int] = (256, 128, 64)):
        super().__init__()
        widths = list(widths)
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.bottom = image_size // 2 ** len(widths)
        self.widths = widths
        self.label_embedding = nn.Embedding(num_classes, latent_dim) if num_classes else None
        self.project = nn.Sequential(
            nn.Linear(latent_dim, widths[0] * self.bottom * self.bottom, bias=False),
            nn.BatchNorm1d(widths[0] * self.bottom * self.bottom),
            nn.ReLU(True),
        )
        layers: list[nn.Module] = []
        for width, next_width in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(width, next_width, 4, 2, 1, bias=False), nn.BatchNorm2d(next_width),
                       nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def decode(self, latents: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """latents (and class ids) -> images in [-1, 1]."""
        if self.label_embedding is not None:
            if labels is None:
                raise ValueError("this generator is class-conditional: pass labels")
            latents = latents * self.label_embedding(labels)
        features = self.project(latents).view(-1, self.widths[0], self.bottom, self.bottom)
        return self.body(features)

    forward = decode


class DCGANDiscriminator(nn.Module):
    """Training only: never shipped or loaded by the app.

    spectral_norm=True (what the digits GAN trains with) replaces BatchNorm by spectral
    normalisation of every layer (Miyato et al. 2018), which keeps the discriminator from
    overpowering the generator. classifier=True adds a head that predicts the class from the
    same features (AC-GAN, Odena et al. 2017): its loss pushes the generator towards the label asked."""

    def __init__(self, num_classes: int = 0, channels: int = 1, image_size: int = 32,
                 widths: tuple[int, ...] | list[int] = (64, 128, 256), spectral_norm: bool = False,
                 classifier: bool = False):
        super().__init__()
        widths = list(widths)
        normed = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda layer: layer)
        layers: list[nn.Module] = []
        previous = channels
        for index, width in enumerate(widths):
            layers += [normed(nn.Conv2d(previous, width, 4, 2, 1))]
            if index and not spectral_norm:
                layers += [nn.BatchNorm2d(width)]
            layers += [nn.LeakyReLU(0.2, True)]
            previous = width
        self.body = nn.Sequential(*layers, nn.Flatten())
        flat = widths[-1] * (image_size // 2 ** len(widths)) ** 2
        self.score = normed(nn.Linear(flat, 1))
        # Projection discriminator (Miyato & Koyama 2018): class info as an inner product.
        self.label_embedding = normed(nn.Embedding(num_classes, flat)) if num_classes else None
        self.classify = normed(nn.Linear(flat, num_classes)) if classifier and num_classes else None

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.score_and_classes(images, labels)[0]

    def score_and_classes(self, images: torch.Tensor,
                          labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Real/fake logits, and class logits where the discriminator has a classifier head (else None)."""
        features = self.body(images)
        logits = self.score(features).squeeze(1)
        if self.label_embedding is not None and labels is not None:
            logits = logits + (self.label_embedding(labels) * features).sum(1)
        return logits, (self.classify(features) if self.classify is not None else None)
