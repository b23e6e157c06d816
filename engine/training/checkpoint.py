"""Resumable training state: model, EMA, optimizer, step, random number generators, in one file.

Written atomically (a kill mid-save keeps the previous checkpoint) and read with
torch.load(weights_only=True): a checkpoint holds tensors and plain values, never code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from engine.atomic import write_atomically

CHECKPOINT_VERSION = 1


def save_checkpoint(path: Path, *, family: str, step: int, settings: dict[str, Any], trainer_state: dict[str, Any],
                    generator: torch.Generator, elapsed_s: float) -> Path:
    state = {
        "version": CHECKPOINT_VERSION,
        "family": family,
        "step": step,
        "settings": settings,
        "trainer": trainer_state,
        "generator": generator.get_state(),
        "torch_rng": torch.get_rng_state(),
        "elapsed_s": elapsed_s,
    }
    return write_atomically(Path(path), lambda temporary: torch.save(state, temporary))


def load_checkpoint(path: Path) -> dict[str, Any]:
    try:
        state = torch.load(Path(path), map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable training checkpoint ({exc})") from None
    if not isinstance(state, dict) or state.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: not a Noisescope training checkpoint (version {CHECKPOINT_VERSION})")
    return state


def restore_rng(state: dict[str, Any], generator: torch.Generator) -> None:
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
