"""Training the convolutional VAE on the digits.

Bernoulli likelihood (binary cross-entropy on pixel intensities in [0, 1], summed per image)
plus the KL divergence to N(0, I), the KL weight warmed up linearly over `kl_warmup` steps so
the decoder learns to use the latent before the prior pulls on it. EMA weights are shipped, with a
latent prior fitted to them at each export (engine/training/latent_prior_fit.py): one Gaussian per
digit class, which samples draw from instead of N(0, I) unless a recipe asks for the standard prior.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.architectures.vae import ConvVAE
from engine.models.formats.noisescope import PRIOR_KIND
from engine.training.data import IMAGE_SIZE, Batches, Digits, to_model_input
from engine.training.ema import EMA
from engine.training.latent_prior_fit import DIGIT_CLASSES, fit_prior, shipped_copy
from engine.training.trainer_state import SingleModelState

DEFAULTS: dict[str, Any] = {
    "widths": [32, 64, 128], "latent_dim": 16, "lr": 1e-3, "kl_warmup": 1000, "beta": 1.0, "ema_decay": 0.999,
}


class VAETrainer(SingleModelState):
    family = "vae"
    model: ConvVAE  # narrower than the mixin's nn.Module: train_step calls encode and decode_logits

    def __init__(self, settings: dict[str, Any], data: Digits, generator: torch.Generator, device: torch.device):
        self.settings = {**DEFAULTS, **settings}
        self.device, self.generator = device, generator
        self.data = data  # the training digits, which the latent prior is fitted to at export
        self.architecture_config = {"channels": 1, "image_size": IMAGE_SIZE, "latent_dim": self.settings["latent_dim"],
                                    "widths": list(self.settings["widths"])}
        self.model = ConvVAE(**self.architecture_config).to(device).train()
        self.ema = EMA(self.model, self.settings["ema_decay"])
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.settings["lr"])
        self.batches = Batches(to_model_input(data.images), torch.from_numpy(data.labels), self.settings["batch"],
                               generator)
        self.step = 0

    def train_step(self) -> dict[str, torch.Tensor]:
        images, _ = self.batches.next()
        noise = torch.randn(len(images), self.settings["latent_dim"], generator=self.generator)
        images, noise = images.to(self.device), noise.to(self.device)
        mu, logvar = self.model.encode(images)
        latents = mu + noise * (0.5 * logvar).exp()
        logits = self.model.decode_logits(latents)
        targets = (images + 1) / 2
        reconstruction = F.binary_cross_entropy_with_logits(logits, targets, reduction="none").sum((1, 2, 3)).mean()
        kl = (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).sum(1).mean()
        kl_weight = self.settings["beta"] * min(1.0, (self.step + 1) / self.settings["kl_warmup"])
        loss = reconstruction + kl_weight * kl
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), 100.0)
        self.optimizer.step()
        self.ema.update(self.model)
        self.step += 1
        return {"rec": reconstruction.detach(), "kl": kl.detach()}

    def export_module(self) -> nn.Module:
        return self.ema.model.eval()

    def export_config(self) -> dict[str, Any]:
        return {
            "family": "vae", "architecture": "ConvVAE", "architecture_config": self.architecture_config,
            "height": IMAGE_SIZE, "width": IMAGE_SIZE, "channels": 1, "labels": [str(c) for c in range(DIGIT_CLASSES)],
            "latent_dim": self.settings["latent_dim"], "latent_prior": PRIOR_KIND,
        }

    def export_extras(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """The latent prior, fitted to the encoder as it ships (fp16-rounded EMA weights)."""
        fitted = fit_prior(shipped_copy(self.export_module()), self.data,
                           command="noisescope train vae (fitted at export)")
        return fitted.prior.tensors(), {"latent_prior": fitted.record}

