"""Reading a safetensors header without torch: the JSON after an 8-byte length, nothing else."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

_MAX_HEADER = 100 * 1024 * 1024  # the format's own limit; a bigger length means a corrupt file


def safetensors_parameter_count(path: Path) -> int | None:
    """Parameter count from the header alone (cheap: no tensor is read); None if unreadable."""
    try:
        with open(path, "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > _MAX_HEADER:
                return None
            header = json.loads(handle.read(length))
        return sum(math.prod(entry["shape"]) for key, entry in header.items() if key != "__metadata__")
    except (OSError, ValueError, struct.error, KeyError, TypeError, AttributeError):
        return None
