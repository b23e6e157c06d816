"""Model hashes as AUTOMATIC1111 shows them: the first 10 hex digits of the weights' SHA-256.

Hashing a large file takes seconds, so each file is hashed once: the result is kept in memory
and in `model_hashes.json` in the user data folder, keyed by path, size and modification time
(a file replaced in place gets a new hash).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from pathlib import Path

from engine.atomic import write_atomically
from engine.errors import NoisescopeError
from engine.models.formats import get_format
from engine.models.info import ModelInfo
from engine.paths import user_data_dir

CACHE_NAME = "model_hashes.json"
_lock = threading.Lock()
_memory: dict[str, str] = {}


def short_hash(path: Path) -> str:
    """A1111's short model hash of one file (uncached)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:10]


def weights_file(info: ModelInfo) -> Path:
    """The file whose bytes identify the model (its format knows which)."""
    return get_format(info.format).weights_file(info)


def file_hash(path: Path) -> str:
    """short_hash(path), computed once per file version and cached."""
    path = Path(path).resolve()
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    with _lock:
        if key in _memory:
            return _memory[key]
        stored = _read_cache()
        if key not in stored:
            stored[key] = short_hash(path)
            _write_cache(stored)
        _memory[key] = stored[key]
        return stored[key]


def model_hash(info: ModelInfo) -> str | None:
    """The model's short hash, or None where its weights cannot be read."""
    try:
        return get_format(info.format).hash(info)
    except (OSError, NoisescopeError):
        return None


def _read_cache() -> dict[str, str]:
    try:
        data = json.loads((user_data_dir() / CACHE_NAME).read_text())
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_cache(data: dict[str, str]) -> None:
    def write(temporary: Path) -> None:
        temporary.write_text(json.dumps(data, indent=1, sort_keys=True))

    # A cache that cannot be written only costs a re-hash next time.
    with contextlib.suppress(NoisescopeError):
        write_atomically(user_data_dir() / CACHE_NAME, write)
