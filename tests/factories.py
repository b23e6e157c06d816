"""Tiny models of every family and format, made in a few milliseconds for tests."""

from __future__ import annotations

from pathlib import Path

import torch

from engine.models.architectures.gan import DCGANGenerator
from engine.models.architectures.vae import ConvVAE
from engine.models.bundled_writer import save_bundled

DIGITS = [str(d) for d in range(10)]

TINY_UNET = {
    "sample_size": 8,
    "in_channels": 1,
    "out_channels": 1,
    "layers_per_block": 1,
    "block_out_channels": [4, 8],
    "down_block_types": ["DownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "UpBlock2D"],
    "norm_num_groups": 2,
}

SCHEDULER = {
    "_class_name": "DDPMScheduler",
    "num_train_timesteps": 1000,
    "beta_schedule": "squaredcos_cap_v2",
    "prediction_type": "epsilon",
    "timestep_spacing": "trailing",
    "clip_sample": True,
}


def _seeded(build, seed: int = 0) -> torch.nn.Module:
    """The module's own default initialisation, drawn from a fixed seed (the global RNG is untouched)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build()


def _scaled_embeddings(module: torch.nn.Module) -> torch.nn.Module:
    with torch.no_grad():  # class embeddings as strong as in a trained model
        for child in module.modules():
            if isinstance(child, torch.nn.Embedding):
                child.weight.mul_(3)
    return module


def tiny_diffusion(folder: Path, name: str = "tiny-diffusion", labels: bool = True) -> Path:
    from diffusers import UNet2DModel

    config = dict(TINY_UNET, num_class_embeds=11 if labels else None)
    unet = _seeded(lambda: UNet2DModel.from_config(config))
    if labels:
        with torch.no_grad():  # make the label matter as much as the timestep, as in a trained model
            unet.class_embedding.weight.mul_(3)
    return save_bundled(folder / name, {
        "name": name, "family": "diffusion", "architecture": "UNet2DModel", "architecture_config": config,
        "height": 8, "width": 8, "channels": 1, "labels": DIGITS if labels else None,
        "null_label": 10 if labels else None, "scheduler": SCHEDULER,
    }, unet, half=False)


def tiny_vae(folder: Path, name: str = "tiny-vae") -> Path:
    config = {"channels": 1, "image_size": 8, "latent_dim": 4, "widths": [4, 8]}
    return save_bundled(folder / name, {
        "name": name, "family": "vae", "architecture": "ConvVAE", "architecture_config": config,
        "height": 8, "width": 8, "channels": 1, "labels": None, "latent_dim": 4,
    }, _seeded(lambda: ConvVAE(**config)).eval(), half=False)


def tiny_prior_vae(folder: Path, name: str = "tiny-prior-vae", tensors: dict[str, torch.Tensor | None] | None = None,
                   config: dict | None = None) -> Path:
    """The tiny VAE with a latent prior over the ten digits: class c's Gaussian centred at 10 * c on the first
    axis, scale 0.1 (so a sample's class is plain to see in z), drawn with equal weights. `tensors`
    replaces (or, set to None, removes) prior tensors; `config` changes config.json's fields."""
    architecture = {"channels": 1, "image_size": 8, "latent_dim": 4, "widths": [4, 8]}
    means = torch.zeros(10, 4)
    means[:, 0] = 10 * torch.arange(10)
    prior = {"latent_prior.means": means, "latent_prior.scale_tril": 0.1 * torch.eye(4).repeat(10, 1, 1),
             "latent_prior.weights": torch.ones(10)}
    prior.update(tensors or {})
    return save_bundled(folder / name, {
        "name": name, "family": "vae", "architecture": "ConvVAE", "architecture_config": architecture,
        "height": 8, "width": 8, "channels": 1, "labels": DIGITS, "latent_dim": 4, "latent_prior": "class_gaussians",
        **(config or {}),
    }, _seeded(lambda: ConvVAE(**architecture)).eval(), half=False,
        extra={key: value for key, value in prior.items() if value is not None})


def tiny_gan(folder: Path, name: str = "tiny-gan") -> Path:
    config = {"latent_dim": 4, "num_classes": 10, "channels": 1, "image_size": 8, "widths": [8, 4]}
    return save_bundled(folder / name, {
        "name": name, "family": "gan", "architecture": "DCGANGenerator", "architecture_config": config,
        "height": 8, "width": 8, "channels": 1, "labels": DIGITS, "latent_dim": 4,
    }, _scaled_embeddings(_seeded(lambda: DCGANGenerator(**config))).eval(), half=False)


def tiny_diffusers_folder(folder: Path, name: str = "tiny-ddpm") -> Path:
    """A folder exactly as DDPMPipeline.save_pretrained writes it."""
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel

    unet = _seeded(lambda: UNet2DModel.from_config(TINY_UNET), seed=1)
    scheduler = DDPMScheduler.from_config(SCHEDULER)
    DDPMPipeline(unet=unet, scheduler=scheduler).save_pretrained(folder / name)
    return folder / name
