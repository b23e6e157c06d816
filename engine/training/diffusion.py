"""Training a class-conditional DDPM (diffusers UNet2DModel) on the digits or a folder of images.

Epsilon prediction on a cosine ("squaredcos_cap_v2") schedule of 1000 steps, the loss weighted
by min-SNR-5 (Hang et al. 2023, faster convergence), labels dropped to the null class with
probability `label_dropout` so classifier-free guidance works, EMA weights shipped.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from engine.training import image_folder
from engine.training.data import IMAGE_SIZE, Batches, Digits, to_model_input
from engine.training.ema import EMA
from engine.training.trainer_state import SingleModelState

SCHEDULER = {
    "_class_name": "DDPMScheduler",
    "num_train_timesteps": 1000,
    "beta_schedule": "squaredcos_cap_v2",
    "prediction_type": "epsilon",
    # "leading": sampling starts near t = 957 (sigma ~15, where Stable Diffusion starts) instead
    # of t = 999 (sigma ~20,000, alpha ~2e-9). From there, any error in eps is magnified ~10^4
    # times by the samplers that work through x0 (Euler, Heun, DPM++, UniPC): saturated noise.
    "timestep_spacing": "leading",
    # No clipping of the predicted x0 (clip_sample) or thresholding: with guidance, DDIM mixes a
    # clipped x0 with the unclipped eps and loses the asked class (seen: random digits for label 5).
    "clip_sample": False,
    "thresholding": False,
}
NULL_LABEL = 10
DEFAULTS: dict[str, Any] = {
    "widths": [32, 64, 64], "layers_per_block": 1, "lr": 6e-4, "warmup": 250, "weight_decay": 0.0,
    "ema_decay": 0.999, "label_dropout": 0.12, "min_snr": 5.0,
    "bf16": False,
    "start_step": 0,  # the step a run started from (--init): its warm-up counts from there
}


def unet_config(widths: list[int], layers_per_block: int, size: int = IMAGE_SIZE, channels: int = 1,
                classes: int = 10) -> dict[str, Any]:
    """`classes` 0: unconditional, no class embedding."""
    count = len(widths)
    attention_last = count >= 3  # self-attention only at the lowest resolution (8x8 for 3 levels)
    down = ["DownBlock2D"] * (count - 1) + ["AttnDownBlock2D" if attention_last else "DownBlock2D"]
    up = ["AttnUpBlock2D" if attention_last else "UpBlock2D"] + ["UpBlock2D"] * (count - 1)
    return {
        "sample_size": size, "in_channels": channels, "out_channels": channels,
        "layers_per_block": layers_per_block, "block_out_channels": list(widths),
        "down_block_types": down, "up_block_types": up,
        "norm_num_groups": min(8, min(widths)), "attention_head_dim": min(32, widths[-1]),
        "num_class_embeds": classes + 1 if classes else None,  # + the null label
    }


def model_input(data: Digits | image_folder.ImageSet) -> tuple[torch.Tensor, list[str]]:
    """The training images as (N, C, H, W) in [-1, 1], and the class names (the digits: "0" to "9")."""
    if isinstance(data, Digits):
        return to_model_input(data.images), [str(d) for d in range(10)]
    return image_folder.to_model_input(data.images), list(data.label_names)


class DiffusionTrainer(SingleModelState):
    family = "diffusion"

    def __init__(self, settings: dict[str, Any], data: Digits | image_folder.ImageSet, generator: torch.Generator,
                 device: torch.device):
        from diffusers import DDPMScheduler, UNet2DModel

        self.settings = {**DEFAULTS, **settings}
        self.device, self.generator = device, generator
        images, self.labels = model_input(data)
        self.null_label = len(self.labels) if self.labels else None  # NULL_LABEL for the digits
        self.architecture_config = unet_config(self.settings["widths"], self.settings["layers_per_block"],
                                               images.shape[-1], images.shape[1], len(self.labels))
        self.model = UNet2DModel.from_config(self.architecture_config).to(device).train()
        self.ema = EMA(self.model, self.settings["ema_decay"])
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.settings["lr"],
                                           weight_decay=self.settings["weight_decay"])
        self.scheduler = DDPMScheduler.from_config(SCHEDULER)
        self.alphas_cumprod = self.scheduler.alphas_cumprod.to(device)
        self.batches = Batches(images, torch.from_numpy(data.labels), self.settings["batch"], generator)
        self.step = 0

    def train_step(self) -> dict[str, torch.Tensor]:
        images, labels = self.batches.next()
        count = len(images)
        drop = torch.rand(count, generator=self.generator) < self.settings["label_dropout"]
        labels = torch.where(drop, torch.full_like(labels, self.null_label or 0), labels)
        noise = torch.randn(images.shape, generator=self.generator)
        timesteps = torch.randint(0, len(self.alphas_cumprod), (count,), generator=self.generator)
        images, labels, noise, timesteps = (t.to(self.device) for t in (images, labels, noise, timesteps))
        noisy = self.scheduler.add_noise(images, noise, timesteps)
        for group in self.optimizer.param_groups:
            warm = (self.step + 1 - self.settings["start_step"]) / self.settings["warmup"]
            group["lr"] = self.settings["lr"] * min(1.0, max(warm, 0.0))
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=bool(self.settings["bf16"])):
            predicted = self.model(noisy, timesteps, class_labels=labels if self.labels else None).sample.float()
        alpha = self.alphas_cumprod[timesteps]
        snr = alpha / (1 - alpha)
        weight = snr.clamp(max=self.settings["min_snr"]) / snr
        loss = (weight * (predicted - noise).pow(2).mean(dim=(1, 2, 3))).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.ema.update(self.model)
        self.step += 1
        return {"loss": loss.detach()}  # read once per log window (loss_log.py)

    def export_module(self) -> nn.Module:
        return self.ema.model

    def export_config(self) -> dict[str, Any]:
        return {
            "family": "diffusion", "architecture": "UNet2DModel", "architecture_config": self.architecture_config,
            "height": self.architecture_config["sample_size"], "width": self.architecture_config["sample_size"],
            "channels": self.architecture_config["in_channels"], "labels": self.labels or None,
            "null_label": self.null_label, "scheduler": SCHEDULER,
        }

