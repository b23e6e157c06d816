"""Image-to-image's first sample: the init image (a latent model's: its VAE latents) noised to the
noise level of the step the run starts at (engine/course.py lays the steps out; engine/init_image.py
says which), as diffusers' StableDiffusionImg2ImgPipeline.prepare_latents does, operation for
operation, so the same recipe gives diffusers' pixels.

Randomness, as diffusers with one generator per sample: sample i's generator first draws the VAE's
latent sample (latent_dist.sample), then the start noise, then any ancestral noise. A pixel model has
no VAE: the noise is the seed's, as in a plain run.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.course import Course
from engine.init_image_files import load_init_pixels
from engine.noise import seed_generators, start_noise
from engine.recipe import Recipe


def init_pixels(course: Course, height: int, width: int, channels: int) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """The run's init image as (height, width, channels) uint8 (None: a plain run), and its notices
    (resized). Read before Started, so a missing image fails the run before it begins."""
    root = course.segments[0].recipe  # a branch's init image is its root run's
    if root.init_image is None:
        return None, ()
    pixels, notice = load_init_pixels(root.init_image, height, width, channels)
    return pixels, (notice,) if notice else ()


def to_tensor(pixels: np.ndarray, batch: int) -> torch.Tensor:
    """uint8 (H, W, C) -> float32 (batch, C, H, W) in [-1, 1], as diffusers' VaeImageProcessor makes it."""
    image = torch.from_numpy(pixels.astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)
    return (2.0 * image - 1.0).repeat(batch, 1, 1, 1)


def noised(course: Course, x0: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """x0 noised to the noise level of the run's first step (the scheduler's own add_noise)."""
    segment = course.segments[0]
    t = segment.timesteps[segment.first:segment.first + 1].repeat(x0.shape[0])
    return segment.scheduler.add_noise(x0, noise.to(x0.device, x0.dtype), t)


def pixel_start(course: Course, pixels: np.ndarray | None, noise: torch.Tensor, device: torch.device
                ) -> torch.Tensor | None:
    """A pixel model's first sample (None: a plain run, which starts from the noise)."""
    if pixels is None:
        return None
    return noised(course, to_tensor(pixels, noise.shape[0]).to(device), noise.to(device))


def latent_start(model, course: Course, pixels: np.ndarray | None, latent_shape: tuple[int, ...]
                 ) -> tuple[list[torch.Generator], torch.Tensor, torch.Tensor | None]:
    """A latent model's generators, start noise and first sample (None: a plain run)."""
    root: Recipe = course.segments[0].recipe
    if pixels is None:
        return *start_noise(root, latent_shape), None
    generators = seed_generators(root)
    latents = encode(model, to_tensor(pixels, 1), generators)
    generators, noise = start_noise(root, latent_shape, generators)  # drawn after the encoding, as diffusers does
    return generators, noise, noised(course, latents, noise.to(latents.device, latents.dtype))


def encode(model, image: torch.Tensor, generators: list[torch.Generator]) -> torch.Tensor:
    """The VAE latents of one image, sampled once per generator and scaled as the UNet takes them."""
    vae = model.pipe.vae
    config = vae.config
    if vae.dtype == torch.float16 and model.is_sdxl and getattr(config, "force_upcast", False):
        vae.to(torch.float32)  # as decode_latents: SDXL's VAE overflows in fp16
    image = image.to(model.device, vae.dtype)
    posterior = vae.encode(image).latent_dist
    latents = torch.cat([posterior.sample(generator) for generator in generators])
    mean, std = getattr(config, "latents_mean", None), getattr(config, "latents_std", None)
    if mean is not None and std is not None:  # as diffusers' SDXL img2img: normalised where the VAE says how
        shape = (1, len(mean), 1, 1)
        mean_t = torch.tensor(mean, device=latents.device).view(shape)
        std_t = torch.tensor(std, device=latents.device).view(shape)
        latents = (latents - mean_t) * config.scaling_factor / std_t
    else:
        latents = config.scaling_factor * latents
    return latents.to(model.dtype)
