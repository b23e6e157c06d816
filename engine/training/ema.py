"""Exponential moving average of a model's weights: what gets shipped, smoother than the raw weights."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class EMA:
    """decay warms up as (1 + n) / (10 + n) towards max_decay, so early averages are not stuck at init."""

    def __init__(self, model: nn.Module, max_decay: float = 0.999):
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.max_decay = max_decay
        self.updates = 0

    def decay(self) -> float:
        return min(self.max_decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        weight = 1.0 - self.decay()
        # One fused update of every tensor on a GPU (hundreds of small kernels otherwise); a loop on the CPU.
        # torch.optim.swa_utils' EMA uses the same call.
        torch._foreach_lerp_(list(self.model.parameters()), [p.detach() for p in model.parameters()], weight)
        for average_buffer, current_buffer in zip(self.model.buffers(), model.buffers()):
            average_buffer.copy_(current_buffer)  # e.g. BatchNorm running statistics: take the latest

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "updates": self.updates, "max_decay": self.max_decay}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.updates, self.max_decay = int(state["updates"]), float(state["max_decay"])
