"""Wait for the device before reading the clock: kernels are queued asynchronously on CUDA and Apple
MPS, so a bench that stops its watch without waiting times the queueing, not the work."""

from __future__ import annotations

import torch

from engine.device import resolve_device


def synchronize(device: str | torch.device) -> None:
    """`device` as a recipe names it ("auto", "cuda:1", "cpu") or a torch.device."""
    resolved = resolve_device(device) if isinstance(device, str) else device
    if resolved.type == "cuda":
        torch.cuda.synchronize(resolved)
    elif resolved.type == "mps":
        torch.mps.synchronize()
