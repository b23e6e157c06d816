"""The files of a model folder, looked at without ever blocking (torch-free).

A model folder is data from anyone: a FIFO or a device named `config.json` or
`diffusion_pytorch_model.safetensors` blocks the first `open()` forever, and a huge "config"
fills the memory. So every file is `os.stat`ed (which never opens it) before it is read: it must be
a regular file, following links, since Hugging Face's cache keeps its files as links into blobs/.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError

MAX_CONFIG_BYTES = 16 * 1024 * 1024  # a config is a few KB; a bigger "config.json" is not one


def is_regular_file(path: Path) -> bool:
    """A regular file (through links); False for a folder, FIFO, device, socket or nothing."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def regular_file(path: Path, what: str) -> None:
    """ModelLoadError unless path is a regular file; never opens it."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: {what} is missing") from None
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        raise ModelLoadError(f"{path}: {what} is not a regular file (a folder, FIFO or device); "
                             "replace it with the file itself")


def read_json_object(path: Path, what: str, missing: str = "") -> dict[str, Any]:
    """A JSON object from a regular file of sane size, or ModelLoadError saying what is wrong.

    `missing` is the advice when the file is absent (e.g. which folder the format needs)."""
    if missing and not os.path.lexists(path):
        raise ModelLoadError(f"{path}: missing; {missing}")
    regular_file(path, what)
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ModelLoadError(f"{path}: {size:,} bytes is too large for a {what}")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (ValueError, RecursionError) as exc:
        raise ModelLoadError(f"{path}: not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path}: expected a JSON object")
    return data


def check_folder_files(folder: Path) -> None:
    """Every entry of folder is a sub-folder or a regular file: nothing a loader's open() would block on.

    For components that a library (diffusers, transformers) reads by its own rules."""
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise ModelLoadError(f"{folder}: cannot be read ({exc.strerror or exc})") from None
    for entry in entries:
        try:
            mode = os.stat(entry).st_mode
        except OSError:
            continue  # a broken link: opening it fails at once, it cannot block
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise ModelLoadError(f"{entry}: not a regular file (a FIFO, socket or device); "
                                 "replace it with the file itself")


# The weight file stems diffusers and transformers write, and the suffixes of one whole file, plain
# or as the fp16 variant many downloads hold; a sharded model has an index naming its shards instead.
WEIGHT_STEMS = ("diffusion_pytorch_model", "model")
_WHOLE = (".safetensors", ".fp16.safetensors", ".bin", ".fp16.bin")
_INDEXES = (".safetensors.index.json", ".safetensors.index.fp16.json", ".bin.index.json", ".bin.index.fp16.json")
MAX_SHARDS = 1000


def component_weights(component: Path) -> list[Path]:
    """The weight files of one diffusers component folder, every one a regular file inside it: one
    whole file (plain or fp16 variant), or the shards its index lists; [] when there are none."""
    for stem in WEIGHT_STEMS:
        for suffix in _WHOLE:
            path = component / (stem + suffix)
            if os.path.lexists(path):
                regular_file(path, "weight file")
                return [path]
        for suffix in _INDEXES:
            index = component / (stem + suffix)
            if os.path.lexists(index):
                return _shards(index)
    return []


def _shards(index: Path) -> list[Path]:
    weight_map = read_json_object(index, "shard index").get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        raise ModelLoadError(f"{index}: no weight_map naming the shards (copy the whole folder again)")
    names = sorted({str(name) for name in weight_map.values()})
    if len(names) > MAX_SHARDS:
        raise ModelLoadError(f"{index}: {len(names):,} shards is not a model this app can load")
    shards = []
    for name in names:
        if Path(name).name != name or name.startswith("."):
            raise ModelLoadError(f"{index}: shard {name!r} must be a file in {index.parent}")
        shards.append(index.parent / name)
        regular_file(shards[-1], "weight shard")
    return shards
