"""Turning device tensors into the uint8 previews events carry, cheaply.

The conversion to uint8 (and to batch, height, width, channels) happens on the device, so only
a quarter of the bytes cross to the host. On CUDA the copy is asynchronous into pinned memory
and the step is handed out one step later, when its copy has landed: the next step's kernels are
already queued, so the GPU never waits for the preview.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import torch

T = TypeVar("T")  # what build() makes of a step's host frames: an event

NOISE_RANGE = 3.0  # predicted noise is ~N(0, 1): show +-3 sigma as black..white


def images_to_uint8(images: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) in [-1, 1] -> (B, H, W, C) uint8, on the same device.
    One new float tensor, then in place: this runs on every step."""
    scaled = images.float().clamp(-1, 1).add_(1).mul_(127.5).round_()
    return scaled.to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def step_previews(x_t: torch.Tensor, x0: torch.Tensor, noise: torch.Tensor, *more_noise: torch.Tensor) -> torch.Tensor:
    """The views of a step as one (V, B, H, W, C) uint8 tensor: one conversion, one copy. V is 3
    (x_t, x0, noise), plus one per `more_noise` (a guided run's conditional, unconditional and
    scaled-difference noise), shown on the noise's scale."""
    views = (x_t, x0, *(n.mul(1 / NOISE_RANGE) for n in (noise, *more_noise)))
    frames = images_to_uint8(torch.stack(views).flatten(0, 1))
    return frames.view(len(views), x_t.shape[0], *frames.shape[1:])


def to_numpy(frame: torch.Tensor) -> np.ndarray:
    array = frame.numpy() if frame.device.type == "cpu" else frame.cpu().numpy()
    array.flags.writeable = False
    return array


@dataclass
class _Pending(Generic[T]):
    frames: list[torch.Tensor]
    ready: torch.cuda.Event | None
    build: Callable[[list[np.ndarray]], T]


class PreviewPipe(Generic[T]):
    """push() the step's device frames; get back the events whose frames are on the host."""

    def __init__(self, device: torch.device):
        self.deferred = device.type == "cuda"
        self._pending: _Pending[T] | None = None

    def push(self, frames: list[torch.Tensor], build: Callable[[list[np.ndarray]], T]) -> list[T]:
        if not self.deferred:
            return [build([to_numpy(f) for f in frames])]
        host = []
        for frame in frames:
            pinned = torch.empty(frame.shape, dtype=frame.dtype, pin_memory=True)
            pinned.copy_(frame, non_blocking=True)
            host.append(pinned)
        event = torch.cuda.Event()
        event.record()
        ready = self.flush()
        self._pending = _Pending(host, event, build)
        return ready

    def flush(self) -> list[T]:
        pending, self._pending = self._pending, None
        if pending is None:
            return []
        if pending.ready is not None:
            pending.ready.synchronize()
        arrays = []
        for frame in pending.frames:
            array = frame.numpy()
            array.flags.writeable = False
            arrays.append(array)
        return [pending.build(arrays)]
