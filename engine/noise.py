"""Seeded noise, one generator per sample.

Sample i of a batch with seed s draws from torch.Generator("cpu").manual_seed(s + i), for its
start and for every ancestral step, so a sample is the same whatever the batch size or device,
and a diffusers pipeline given torch.Generator("cpu").manual_seed(s) starts from the same noise.
"""

from __future__ import annotations

import torch


def sample_generators(seed: int, batch: int) -> list[torch.Generator]:
    return [torch.Generator("cpu").manual_seed(seed + i) for i in range(batch)]


def initial_noise(generators: list[torch.Generator], sample_shape: tuple[int, ...]) -> torch.Tensor:
    """(batch, *sample_shape) float32 noise on the CPU, sample i from generators[i]."""
    return torch.cat([torch.randn((1, *sample_shape), generator=g) for g in generators])
