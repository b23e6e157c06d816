"""Training the class-conditional DCGAN on the digits.

Hinge loss, a projection discriminator with spectral normalisation (no BatchNorm), Adam
(beta1 0.5) for both, one discriminator step per generator step. With class_loss > 0 the
discriminator also classifies real digits, and the generator is penalised (weight class_loss)
when its sample is not classified as the label it was asked for (AC-GAN). The shipped generator is
an EMA of the generator's weights whose BatchNorm statistics are then recomputed over many
generated batches (so eval-mode samples match what the network saw in training mode).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.architectures.gan import DCGANDiscriminator, DCGANGenerator
from engine.training.data import IMAGE_SIZE, Batches, Digits, to_model_input
from engine.training.ema import EMA

DEFAULTS: dict[str, Any] = {
    "widths": [256, 128, 64], "latent_dim": 64, "lr": 2e-4, "lr_d": 2e-4, "betas": [0.5, 0.999],
    "ema_decay": 0.999, "recalibration_batches": 40, "class_loss": 0.0,
}


class GANTrainer:
    family = "gan"

    def __init__(self, settings: dict[str, Any], data: Digits, generator: torch.Generator, device: torch.device):
        self.settings = {**DEFAULTS, **settings}
        self.device, self.generator = device, generator
        widths = list(self.settings["widths"])
        self.architecture_config = {"latent_dim": self.settings["latent_dim"], "num_classes": 10, "channels": 1,
                                    "image_size": IMAGE_SIZE, "widths": widths}
        self.model = DCGANGenerator(**self.architecture_config).to(device).train()
        self.critic = DCGANDiscriminator(num_classes=10, channels=1, image_size=IMAGE_SIZE, widths=widths[::-1],
                                         spectral_norm=True,
                                         classifier=self.settings["class_loss"] > 0).to(device).train()
        self.ema = EMA(self.model, self.settings["ema_decay"])
        betas = tuple(self.settings["betas"])
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.settings["lr"], betas=betas)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=self.settings["lr_d"], betas=betas)
        self.batches = Batches(to_model_input(data.images), torch.from_numpy(data.labels), self.settings["batch"],
                               generator)
        self.step = 0

    def _latents(self, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        latents = torch.randn(count, self.settings["latent_dim"], generator=self.generator)
        labels = torch.randint(0, 10, (count,), generator=self.generator)
        return latents.to(self.device), labels.to(self.device)

    def train_step(self) -> dict[str, torch.Tensor]:
        images, labels = self.batches.next()
        images, labels = images.to(self.device), labels.to(self.device)
        latents, fake_labels = self._latents(len(images))
        fakes = self.model(latents, fake_labels)
        weight = self.settings["class_loss"]
        real_scores, real_classes = self.critic.score_and_classes(images, labels)
        critic_loss = F.relu(1 - real_scores).mean() + F.relu(1 + self.critic(fakes.detach(), fake_labels)).mean()
        if real_classes is not None:  # the classifier head learns from real digits only
            critic_loss = critic_loss + weight * F.cross_entropy(real_classes, labels)
        self.critic_optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_optimizer.step()
        fake_scores, fake_classes = self.critic.score_and_classes(fakes, fake_labels)
        generator_loss = -fake_scores.mean()
        if fake_classes is not None:
            generator_loss = generator_loss + weight * F.cross_entropy(fake_classes, fake_labels)
        self.optimizer.zero_grad(set_to_none=True)
        generator_loss.backward()
        self.optimizer.step()
        self.ema.update(self.model)
        self.step += 1
        return {"d": critic_loss.detach(), "g": generator_loss.detach()}

    @torch.no_grad()
    def export_module(self) -> nn.Module:
        """The EMA generator with BatchNorm statistics recomputed on its own samples (fixed seed)."""
        module = copy.deepcopy(self.ema.model)
        norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # a cumulative average over all the batches below
        module.train()
        seeded = torch.Generator().manual_seed(0)
        for _ in range(self.settings["recalibration_batches"]):
            latents = torch.randn(self.settings["batch"], self.settings["latent_dim"], generator=seeded)
            labels = torch.randint(0, 10, (self.settings["batch"],), generator=seeded)
            module(latents.to(self.device), labels.to(self.device))
        for norm in norms:
            norm.momentum = 0.1
        return module.eval()

    def export_config(self) -> dict[str, Any]:
        return {
            "family": "gan", "architecture": "DCGANGenerator", "architecture_config": self.architecture_config,
            "height": IMAGE_SIZE, "width": IMAGE_SIZE, "channels": 1, "labels": [str(d) for d in range(10)],
            "latent_dim": self.settings["latent_dim"],
        }

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "critic": self.critic.state_dict(), "ema": self.ema.state_dict(),
                "optimizer": self.optimizer.state_dict(), "critic_optimizer": self.critic_optimizer.state_dict(),
                "step": self.step}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.critic.load_state_dict(state["critic"])
        self.ema.load_state_dict(state["ema"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.step = int(state["step"])
