"""Reading weight files without ever executing code from them.

safetensors is preferred. Pickle-based files (.ckpt, .pt, .pth, .bin) are opened only with
`torch.load(weights_only=True)`, which unpickles tensors and plain containers and refuses any
other object; such a refusal becomes UnsafeModelFile naming the refused class, never a fallback.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import torch

from engine.errors import ModelLoadError, UnsafeModelFile
from engine.models.checkpoint_header import refusal_message
from engine.models.safetensors_header import (
    refused_dtype_message,
    safetensors_parameter_count,  # noqa: F401 (re-export)
)

SAFETENSORS_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin")


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    return refuse_unsupported_dtypes(_read_by_suffix(path), path)


def _read_by_suffix(path: Path) -> dict[str, torch.Tensor]:
    suffix = path.suffix.lower()  # MODEL.SAFETENSORS, from a case-insensitive disk, is the same file
    if suffix in SAFETENSORS_SUFFIXES:
        return _read_safetensors(path)
    if suffix in PICKLE_SUFFIXES:
        return _read_pickle(path)
    raise ModelLoadError(f"{path}: unknown weight format {path.suffix!r}; use .safetensors (or .ckpt/.pt/.bin)")


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: weight file is missing") from None
    except PermissionError:
        raise ModelLoadError(f"{path}: cannot read the weight file (permission denied)") from None
    except Exception as exc:  # safetensors raises its own error types for bad headers and short files
        raise ModelLoadError(
            f"{path}: the weights are corrupt or truncated ({_short(exc)}); copy or download the file again"
        ) from None


def _read_pickle(path: Path) -> dict[str, torch.Tensor]:
    try:
        loaded = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # Name what was refused; leave out torch's advice to turn the safe loader off (and its colours).
        raise UnsafeModelFile(refusal_message(path, refused_class(str(exc)))) from None
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: weight file is missing") from None
    except Exception as exc:
        raise ModelLoadError(f"{path}: the weights are corrupt or truncated ({_short(exc)})") from None
    if isinstance(loaded, dict) and "state_dict" in loaded and isinstance(loaded["state_dict"], dict):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict) or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise ModelLoadError(f"{path}: expected a dictionary of tensors (a state dict)")
    return loaded


def refused_class(message: str) -> str:
    """The name torch's weights-only unpickler refused, from its message (without colour codes)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", message)
    found = re.search(r"GLOBAL ([\w.]+)", plain) or re.search(r"global[: ]+'?([\w.]+)", plain)
    return found.group(1) if found else "an object that is not a tensor"


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# Quantized (int8/uint8) and boolean tensors are not weights this app can run: loading them into a
# float model would silently turn 0..255 codes into values. Integer counters (BatchNorm's
# num_batches_tracked, int64) are fine.
REFUSED_DTYPES = {torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool"}


def refuse_unsupported_dtypes(state: dict[str, torch.Tensor], path: Path) -> dict[str, torch.Tensor]:
    for name, tensor in state.items():
        kind = REFUSED_DTYPES.get(tensor.dtype) or ("quantized" if tensor.is_quantized else None)
        if kind is not None:
            raise ModelLoadError(refused_dtype_message(path, name, kind))
    return state
