"""Reading weight files without ever executing code from them.

safetensors is preferred. Pickle-based files (.ckpt, .pt, .pth, .bin) are opened only with
`torch.load(weights_only=True)`, which unpickles tensors and plain containers and refuses any
other object; such a refusal becomes UnsafeModelFile with a message, never a fallback.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import torch

from engine.errors import ModelLoadError, UnsafeModelFile
from engine.models.safetensors_header import safetensors_parameter_count  # noqa: F401 (re-export)

SAFETENSORS_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin")


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix in SAFETENSORS_SUFFIXES:
        return _read_safetensors(path)
    if path.suffix in PICKLE_SUFFIXES:
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
        raise UnsafeModelFile(
            f"{path}: refused to load: this pickle file needs to run code to open, which could harm this "
            f"computer ({_short(exc)}). Convert it to .safetensors with the tool that made it, or use a "
            "safetensors copy of the model"
        ) from None
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: weight file is missing") from None
    except Exception as exc:
        raise ModelLoadError(f"{path}: the weights are corrupt or truncated ({_short(exc)})") from None
    if isinstance(loaded, dict) and "state_dict" in loaded and isinstance(loaded["state_dict"], dict):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict) or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise ModelLoadError(f"{path}: expected a dictionary of tensors (a state dict)")
    return loaded


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
