"""Reading a safetensors header without torch: the JSON after an 8-byte length, nothing else."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError

_MAX_HEADER = 100 * 1024 * 1024  # the format's own limit; a bigger length means a corrupt file


# Quantized (int8/uint8) and boolean tensors are not weights this app can run: loaded into a float model
# they would silently turn 0..255 codes into values. Integer counters (int64) are fine.
REFUSED_DTYPES = {"I8": "int8", "U8": "uint8", "BOOL": "bool"}


def refused_dtype_message(path: Path, name: str, kind: str) -> str:
    return (f"{path}: tensor {name!r} holds {kind} values; Noisescope loads float weights (float32, float16 or "
            "bfloat16) only, not quantized or boolean ones: use a float copy of the model")


def _header(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > _MAX_HEADER:
                return None
            header = json.loads(handle.read(length))
        return header if isinstance(header, dict) else None
    except (OSError, ValueError, struct.error):
        return None


def safetensors_parameter_count(path: Path, skip_prefix: str | None = None) -> int | None:
    """Parameter count from the header alone (cheap: no tensor is read); None if unreadable.
    Keys starting with `skip_prefix` are not counted (a VAE's latent prior is not its module's)."""
    header = _header(path)
    if header is None:
        return None
    try:
        return sum(math.prod(entry["shape"]) for key, entry in header.items()
                   if key != "__metadata__" and not (skip_prefix and key.startswith(skip_prefix)))
    except (KeyError, TypeError, AttributeError):
        return None


def check_float_weights(path: Path) -> None:
    """ModelLoadError naming the first int8, uint8 or bool tensor of a safetensors file (its header only)."""
    for name, entry in (_header(path) or {}).items():
        kind = REFUSED_DTYPES.get(str(entry.get("dtype"))) if isinstance(entry, dict) else None
        if kind is not None:
            raise ModelLoadError(refused_dtype_message(path, name, kind))
