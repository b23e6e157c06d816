"""Resumable training state: model, EMA, optimizer, step, random number generators, in one file.

Written atomically (a kill mid-save keeps the previous checkpoint) and read with
torch.load(weights_only=True): a checkpoint holds tensors and plain values, never code.
"""

from __future__ import annotations

import io
import pickle
import re
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
    # Serialised in memory first: torch.save writing a file on a full disk raises a RuntimeError of
    # its zip writer ("unexpected pos ..."), not the OSError (ENOSPC) that names the problem.
    buffer = io.BytesIO()
    torch.save(state, buffer)

    def write(temporary: Path) -> None:
        temporary.write_bytes(buffer.getbuffer())

    return write_atomically(Path(path), write)


# What a checkpoint must hold, and of which type: anything else is refused before it is used.
FIELDS: dict[str, type | tuple[type, ...]] = {
    "version": int, "family": str, "step": int, "settings": dict, "trainer": dict,
    "generator": torch.Tensor, "torch_rng": torch.Tensor, "elapsed_s": (int, float),
}
MAX_BATCH = 65_536
MAX_TRAIN_WIDTH, MAX_LATENT = 1024, 4096  # far above the digits models; a hostile file asks for far more


def load_checkpoint(path: Path, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """The checkpoint's state, checked; ValueError with a message for a file that is not one of ours,
    is truncated, needs to run code (refused, never run), or holds the wrong keys or types.
    `defaults` (the family's training DEFAULTS) also checks the settings it will train with."""
    try:
        state = torch.load(Path(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ValueError(f"{path}: refused: this file needs to run code to open ({_refused(exc)}), which a "
                         "training checkpoint never does") from None
    except Exception as exc:  # truncated zip, bad magic, short reads: torch and zipfile raise many kinds
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{path}: not a readable training checkpoint ({text})") from None
    if not isinstance(state, dict) or state.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: not a Noisescope training checkpoint (version {CHECKPOINT_VERSION})")
    for key, kind in FIELDS.items():
        if key not in state:
            raise ValueError(f"{path}: not a complete training checkpoint: {key!r} is missing")
        if isinstance(state[key], bool) or not isinstance(state[key], kind):
            raise ValueError(f"{path}: {key!r} has the wrong type ({type(state[key]).__name__})")
    if defaults is not None:
        check_settings(state["settings"], defaults, path)
    return state


def _refused(exc: Exception) -> str:
    """What the safe loader refused, without torch's advice to turn it off (and its colour codes)."""
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
    if found:
        return f"it asks for {found.group(1)}"
    found = re.search(r"WeightsUnpickler error: ([^\n]{1,200})", str(exc))
    return found.group(1).strip() if found else "a pickle that is not plain data"


def check_settings(settings: dict[str, Any], defaults: dict[str, Any], path: Path) -> None:
    """Settings of the types the family's DEFAULTS have, and sizes that fit a machine (a hostile file
    asking for a million channels would allocate until the machine stops)."""
    from engine.models.architectures.checks import check_widths, whole
    from engine.training.init_weights import SAMPLING_DEFAULTS

    where = f"{path}: settings"
    for key in ("steps", "seed"):
        whole(settings.get(key), key, where, 0, 2**62)
    whole(settings.get("batch"), "batch", where, 1, MAX_BATCH)
    name = settings.get("name")  # names the files a resumed run writes: never a path out of its folders
    if name is not None and (not isinstance(name, str) or not 0 < len(name) <= 200 or name in (".", "..")
                             or any(c in "/\\" or ord(c) < 32 for c in name)):
        raise ValueError(f"{where}: name must be a model name (a file name of 1 to 200 characters, no '/' or "
                         f"control characters), not {str(name)[:60]!r}")
    carried = settings.get("sampling_defaults", {})  # from an --init model's config; their values are checked
    if not isinstance(carried, dict) or not set(carried) <= set(SAMPLING_DEFAULTS):  # when the export is read
        raise ValueError(f"{where}: sampling_defaults may hold {' and '.join(SAMPLING_DEFAULTS)} only, "
                         f"not {str(carried)[:80]!r}")
    for key, default in defaults.items():
        value = settings.get(key, default)
        if isinstance(default, list):
            if key == "widths":
                for index, width in enumerate(check_widths(value, key, where)):
                    whole(width, f"widths[{index}]", where, 1, MAX_TRAIN_WIDTH)
            elif not isinstance(value, list) or not all(isinstance(v, int | float) for v in value):
                raise ValueError(f"{where}: {key} must be a list of numbers, not {value!r}")
        elif isinstance(default, int) and not isinstance(default, bool):
            whole(value, key, where, 0, MAX_LATENT if key == "latent_dim" else 1_000_000)
        elif isinstance(default, float) and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"{where}: {key} must be a number, not {value!r}")


def restore_rng(state: dict[str, Any], generator: torch.Generator) -> None:
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
