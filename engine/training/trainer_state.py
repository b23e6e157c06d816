"""Checkpoint state of a trainer with one model, its EMA and one optimizer (diffusion, VAE)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from engine.training.ema import EMA


class SingleModelState:
    """Mixed into trainers that have .model, .ema, .optimizer and .step."""

    # Set by the trainer's __init__; declared here so the methods below type-check.
    model: torch.nn.Module
    ema: EMA
    optimizer: torch.optim.Optimizer
    step: int

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "ema": self.ema.state_dict(),
                "optimizer": self.optimizer.state_dict(), "step": self.step}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.ema.load_state_dict(state["ema"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step = int(state["step"])
