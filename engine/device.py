"""Choosing the device and precision: CUDA, then Apple MPS, then CPU unless told."""

from __future__ import annotations

import torch

from engine.errors import InvalidRecipe


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InvalidRecipe("device cuda: CUDA is not available on this machine; use --device auto or cpu")
        device = torch.device(name)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise InvalidRecipe(f"device {name}: this machine has {torch.cuda.device_count()} CUDA device(s)")
        return device
    if name == "mps" and not _mps_available():
        raise InvalidRecipe("device mps: Apple Metal is not available on this machine; use --device auto or cpu")
    return torch.device(name)


def pick_dtype(device: torch.device, allows_half: bool = True) -> torch.dtype:
    """fp16 on CUDA and Apple MPS where the model allows it (half the memory and bandwidth, tensor
    cores); fp32 on the CPU, whose half-precision kernels are slow or missing."""
    return torch.float16 if device.type in ("cuda", "mps") and allows_half else torch.float32


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())
