"""Seeded noise, one generator per sample.

Sample i of a batch with seed s draws from torch.Generator("cpu").manual_seed(s + i), for its
start and for every ancestral step, so a sample is the same whatever the batch size or device,
and a diffusers pipeline given torch.Generator("cpu").manual_seed(s) starts from the same noise.

Variations (AUTOMATIC1111's variation seed and strength): sample i keeps seed s (engine/seeds.py)
and its start noise is slerped towards the noise of variation seed v + i, as A1111's
modules/rng.py does; the ancestral noise still comes from the seed's generator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from engine.seeds import has_variation, sample_seed, sample_variation_seed

if TYPE_CHECKING:
    from engine.recipe import Recipe


def seed_generators(recipe: Recipe) -> list[torch.Generator]:
    return [torch.Generator("cpu").manual_seed(sample_seed(recipe, i)) for i in range(recipe.batch)]


def sample_generators(seed: int, batch: int) -> list[torch.Generator]:
    return [torch.Generator("cpu").manual_seed(seed + i) for i in range(batch)]


def initial_noise(generators: list[torch.Generator], sample_shape: tuple[int, ...]) -> torch.Tensor:
    """(batch, *sample_shape) float32 noise on the CPU, sample i from generators[i]."""
    return torch.cat([torch.randn((1, *sample_shape), generator=g) for g in generators])


def start_noise(recipe: Recipe, sample_shape: tuple[int, ...], generators: list[torch.Generator] | None = None,
                ) -> tuple[list[torch.Generator], torch.Tensor]:
    """Each sample's generator (its ancestral noise comes from it too) and the (batch, *sample_shape)
    float32 start noise on the CPU, with the recipe's variation slerped in. `generators`: the samples'
    generators when something drew from them first (image-to-image's VAE encoding, as diffusers does)."""
    if generators is None:
        generators = seed_generators(recipe)
    noise = initial_noise(generators, sample_shape)
    if recipe.seed_plane is not None:  # a point between four seeds (engine/latent_map/seed_plane.py)
        from engine.latent_map.seed_noise import blend_noise

        on_plane = [blend_noise(recipe.seed_plane, recipe.seed, index, sample_shape) for index in range(recipe.batch)]
        return generators, torch.stack(on_plane)
    if not has_variation(recipe):  # strength 0: A1111 skips the slerp, so the plain seed's noise bit for bit
        return generators, noise
    mixed = []
    for index, sample in enumerate(noise):
        variation_seed = sample_variation_seed(recipe, index)
        assert variation_seed is not None
        other = torch.randn(sample.shape, generator=torch.Generator("cpu").manual_seed(variation_seed))
        # A1111 slerps one sample's (C, H, W) noise; a latent vector is slerped whole, as one row.
        flat = sample.dim() == 1
        low, high = (sample.unsqueeze(0), other.unsqueeze(0)) if flat else (sample, other)
        blended = slerp(recipe.variation_strength, low, high)
        mixed.append(blended[0] if flat else blended)
    return generators, torch.stack(mixed)


def slerp(val: float, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """AUTOMATIC1111's slerp (modules/rng.py), operation for operation, so the same seeds give the
    same noise: vectors along dim 1 (for a (C, H, W) sample, each column of H values) are turned
    from `low` towards `high` by `val`."""
    low_norm = low / torch.norm(low, dim=1, keepdim=True)
    high_norm = high / torch.norm(high, dim=1, keepdim=True)
    dot = (low_norm * high_norm).sum(1)
    if dot.mean() > 0.9995:
        # Nearly parallel: A1111 mixes linearly, with the weights the other way round (its code
        # does so); reached only when both noises are (almost) the same, where it changes nothing.
        return low * val + high * (1 - val)
    omega = torch.acos(dot)
    so = torch.sin(omega)
    return (torch.sin((1.0 - val) * omega) / so).unsqueeze(1) * low + (torch.sin(val * omega) / so).unsqueeze(1) * high
