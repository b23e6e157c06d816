"""The tensor names and shapes in a single-file checkpoint, read without torch and without loading it.

.safetensors: the JSON header only. .ckpt/.pt/.pth (torch's zip format): the pickle inside is read
by an unpickler whose find_class hands back inert stand-ins for the few names a state dict needs
(tensor rebuild functions, storage types, OrderedDict) and refuses every other name, so nothing
from the file is ever imported or called. A refused name is reported the way loading would report
it (UnsafeModelFile naming the class), before any weights are read.
"""

from __future__ import annotations

import json
import pickle
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError, UnsafeModelFile
from engine.models.safetensors_header import REFUSED_DTYPES, refused_dtype_message

SAFETENSORS_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth")
_MAX_HEADER = 100 * 1024 * 1024

Shape = tuple[int, ...]


@dataclass(frozen=True)
class CheckpointHeader:
    shapes: dict[str, Shape]  # tensor name -> shape
    metadata: dict[str, str] = field(default_factory=dict)  # safetensors __metadata__ (modelspec.*, ...)


def read_header(path: Path) -> CheckpointHeader:
    if path.suffix.lower() in SAFETENSORS_SUFFIXES:
        return _safetensors_header(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return _pickle_header(path)
    raise ModelLoadError(f"{path}: not a checkpoint file (expected .safetensors or .ckpt)")


def _safetensors_header(path: Path) -> CheckpointHeader:
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise ModelLoadError(f"{path}: truncated ({size} bytes): not a complete safetensors file")
            (length,) = struct.unpack("<Q", prefix)
            if length > _MAX_HEADER or 8 + length > size:
                raise ModelLoadError(f"{path}: truncated or corrupt safetensors header; copy or download it again")
            header = json.loads(handle.read(length))
    except PermissionError:
        raise ModelLoadError(f"{path}: cannot read the file (permission denied)") from None
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError:
        raise ModelLoadError(f"{path}: corrupt safetensors header (not JSON); copy or download it again") from None
    if not isinstance(header, dict):
        raise ModelLoadError(f"{path}: corrupt safetensors header")
    metadata = header.pop("__metadata__", None) or {}
    shapes: dict[str, Shape] = {}
    end = 0
    for name, entry in header.items():
        try:
            shapes[name] = tuple(int(n) for n in entry["shape"])
            end = max(end, int(entry["data_offsets"][1]))
            kind = REFUSED_DTYPES.get(entry.get("dtype"))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            raise ModelLoadError(f"{path}: corrupt safetensors header (entry {name!r})") from None
        if kind is not None:
            raise ModelLoadError(refused_dtype_message(path, name, kind))
    if 8 + length + end > size:
        raise ModelLoadError(
            f"{path}: truncated: the header promises {8 + length + end:,} bytes, the file has {size:,}; "
            "copy or download it again")
    return CheckpointHeader(shapes, {str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, dict) else {})


# -- torch zip pickles, read inertly ------------------------------------------------------------

_STORAGE_TYPES = {f"{kind}Storage" for kind in ("Float", "Half", "BFloat16", "Double", "Long", "Int", "Short",
                                                 "Char", "Byte", "Bool", "Untyped")}


# Storage types of values a float model cannot take (quantized codes, masks): refused like in safetensors.
_REFUSED_STORAGES = {"CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool"}


class _Storage:
    def __init__(self, *args: Any) -> None:
        self.args = args


class _StorageType:
    """An inert stand-in for torch.FloatStorage and friends that remembers which one the file named."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any) -> _Storage:
        return _Storage(self, *args)


class _Tensor:
    def __init__(self, shape: Shape, storage: str = "") -> None:
        self.shape = shape
        self.storage = storage  # the storage type's name: "FloatStorage", ...


def _rebuild_tensor(storage: Any, offset: Any, size: Any, *rest: Any) -> _Tensor:
    pid = storage.args[0] if isinstance(storage, _Storage) and storage.args else ()
    kinds = [part.name for part in (pid if isinstance(pid, tuple) else (pid,)) if isinstance(part, _StorageType)]
    return _Tensor(tuple(int(n) for n in size), kinds[0] if kinds else "")


def _rebuild_parameter(data: Any, *rest: Any) -> Any:
    return data


def _ordered_dict(*args: Any) -> dict[Any, Any]:
    return dict(*args)


_ALLOWED: dict[tuple[str, str], Any] = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("collections", "OrderedDict"): _ordered_dict,
    ("torch", "Size"): tuple,
}


class _InertUnpickler(pickle.Unpickler):
    def __init__(self, data: Any, path: Path) -> None:
        super().__init__(data)
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module in ("torch", "torch.storage") and name in _STORAGE_TYPES | {"TypedStorage"}:
            return _StorageType(name)
        raise UnsafeModelFile(refusal_message(self.path, f"{module}.{name}"))

    def persistent_load(self, pid: Any) -> Any:
        return _Storage(pid)


def check_pickled_weights(path: Path) -> None:
    """A pickled weight file (a diffusers component's .bin) read inertly: UnsafeModelFile for one that
    asks to run code, ModelLoadError for int8/bool tensors, before any library opens it. A legacy
    (pre-zip) file is left to torch's own weights-only loader."""
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read ({exc.strerror})") from None
    if is_zip:
        _pickle_header(path)


def refusal_message(path: Path, refused: str) -> str:
    return (f"{path}: refused to load: the file asks to run {refused}, which a plain checkpoint never needs "
            "(opening it could run code on this computer). Use a .safetensors copy of the model")


def _pickle_header(path: Path) -> CheckpointHeader:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
            if not names:
                raise ModelLoadError(f"{path}: not a torch checkpoint (no data.pkl inside)")
            with archive.open(names[0]) as data:
                loaded = _InertUnpickler(data, path).load()
    except zipfile.BadZipFile:
        raise ModelLoadError(
            f"{path}: truncated, corrupt or in torch's pre-1.6 format; use a .safetensors copy of the model") from None
    except PermissionError:
        raise ModelLoadError(f"{path}: cannot read the file (permission denied)") from None
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read ({exc.strerror})") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise ModelLoadError(f"{path}: corrupt checkpoint ({type(exc).__name__}); copy or download it again") from None
    if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict):
        raise ModelLoadError(f"{path}: expected a dictionary of tensors (a state dict)")
    tensors = {str(k): v for k, v in loaded.items() if isinstance(v, _Tensor)}
    for name, tensor in tensors.items():
        if tensor.storage in _REFUSED_STORAGES:
            raise ModelLoadError(refused_dtype_message(path, name, _REFUSED_STORAGES[tensor.storage]))
    return CheckpointHeader({name: tensor.shape for name, tensor in tensors.items()})
