"""The start noise of a point on the seed plane (engine/latent_map/seed_plane.py says why so)."""

from __future__ import annotations

import math

import torch

from engine.latent_map.seed_plane import SeedPlane


def seed_noise(seed: int, shape: tuple[int, ...]) -> torch.Tensor:
    """A seed's start noise, drawn as engine/noise.py draws a sample's (float32, on the CPU)."""
    return torch.randn((1, *shape), generator=torch.Generator("cpu").manual_seed(seed))[0]


def blend_noise(plane: SeedPlane, seed: int, index: int, shape: tuple[int, ...]) -> torch.Tensor:
    """Noise (shape) of sample `index` at the plane's point, for a recipe whose seed is `seed`: the corners'
    noises (each corner seed + index) weighted bilinearly, divided by sqrt(sum of squared weights).
    Corners of weight 0 are not drawn, so at a corner this is that seed's noise bit for bit."""
    corners = [(corner + index, weight) for corner, weight in zip(plane.corners(seed), plane.weights()) if weight > 0]
    blended = torch.zeros(shape)
    for corner, weight in corners:
        blended += seed_noise(corner, shape) * weight
    return blended / math.sqrt(sum(weight * weight for _, weight in corners))
