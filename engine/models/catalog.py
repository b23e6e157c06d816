"""Finding models: bundled ones in assets/, the user's models folder, and explicit paths.

Torch-free. The Catalog describes each model folder once and keeps the ModelInfo (or the
problem) until the folder changes, so a run does not re-read every config and safetensors
header. "Changed" means a different mtime or size of the folder, of any file in it, or of any
file one level down (diffusers keeps its configs in unet/ and scheduler/).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from engine.errors import ModelLoadError, ModelNotFound
from engine.models.formats import detect_format
from engine.models.info import ModelInfo
from engine.paths import bundled_models_dir, user_models_dir

DEFAULT_MODEL = "digits-diffusion"
Signature = tuple[tuple[str, int, int], ...]
Problem = ModelLoadError | ModelNotFound


def default_roots() -> list[tuple[Path, str]]:
    # Evaluated on every scan: the user's folder may be moved by settings or tests.
    return [(bundled_models_dir(), "bundled"), (user_models_dir(), "user")]


def describe_folder(path: Path, origin: str = "path") -> ModelInfo:
    """The model in a folder (or the folder of a weight file), read now, uncached."""
    if not path.exists():
        raise ModelNotFound(f"{path}: no such file or folder")
    folder = path if path.is_dir() else path.parent
    try:
        return detect_format(folder).describe(folder, origin)
    except PermissionError:
        raise ModelLoadError(f"{folder}: cannot read the folder (permission denied)") from None


def folder_signature(folder: Path) -> Signature:
    """What changes when a model folder is edited, replaced or gains a file: cheap stats only."""
    entries: list[tuple[str, int, int]] = []
    pending = [(folder, "", 0)]
    while pending:
        directory, prefix, depth = pending.pop()
        try:
            stat = directory.stat()
            entries.append((prefix or ".", stat.st_mtime_ns, 0))
            with os.scandir(directory) as scan:
                for entry in scan:
                    stat = entry.stat()
                    name = prefix + entry.name
                    entries.append((name, stat.st_mtime_ns, stat.st_size))
                    if depth < 1 and entry.is_dir():
                        pending.append((Path(entry.path), name + "/", depth + 1))
        except OSError:
            entries.append((prefix or ".", -1, -1))  # unreadable now: a later read may succeed
    return tuple(sorted(entries))


class Catalog:
    def __init__(self, roots: Callable[[], Iterable[tuple[Path, str]]] = default_roots,
                 describe: Callable[[Path, str], ModelInfo] = describe_folder):
        self._roots = roots
        self._describe = describe
        self._lock = threading.Lock()
        # (resolved folder, origin) -> (signature, ModelInfo or the error that describing it raised)
        self._known: dict[tuple[str, str], tuple[Signature, ModelInfo | Problem]] = {}

    def models(self, extra_paths: Iterable[Path] = (), problems: list[str] | None = None) -> list[ModelInfo]:
        """Every model we can offer, bundled first. Folders that fail to read are reported in
        `problems` (when given) instead of hiding the others."""
        candidates: list[tuple[Path, str]] = []
        for root, origin in self._roots():
            if root.is_dir():
                candidates += [(child, origin) for child in sorted(root.iterdir()) if child.is_dir()]
        candidates += [(Path(p), "path") for p in extra_paths]
        found: list[ModelInfo] = []
        with self._lock:
            for folder, origin in candidates:
                result = self._entry(folder, origin)
                if isinstance(result, ModelInfo):
                    found.append(result)
                elif problems is not None:
                    problems.append(result.message)
        return found

    def at(self, path: Path, origin: str = "path") -> ModelInfo:
        """The model in one folder (or the folder of a weight file), through the cache."""
        if not path.exists():
            raise ModelNotFound(f"{path}: no such file or folder")
        with self._lock:
            result = self._entry(path if path.is_dir() else path.parent, origin)
        if not isinstance(result, ModelInfo):
            raise type(result)(result.message)  # a fresh exception each time: no shared traceback
        return result

    def find(self, name_or_path: str, extra_paths: Iterable[Path] = ()) -> ModelInfo:
        """A model by name (bundled, user folder, extra paths) or by path."""
        candidate = Path(name_or_path).expanduser()
        if candidate.exists() or "/" in name_or_path or "\\" in name_or_path:
            return self.at(candidate)
        models = self.models(extra_paths)
        for info in models:
            if info.name == name_or_path:
                return info
        names = ", ".join(m.name for m in models) or "none found"
        raise ModelNotFound(f"no model named {name_or_path!r}; available: {names} (or give a folder path)")

    def forget(self) -> None:
        with self._lock:
            self._known.clear()

    def _entry(self, folder: Path, origin: str) -> ModelInfo | Problem:
        key = (str(folder.resolve()), origin)
        signature = folder_signature(folder)
        known = self._known.get(key)
        if known is not None and known[0] == signature:
            return known[1]
        try:
            result: ModelInfo | Problem = self._describe(folder, origin)
        except (ModelLoadError, ModelNotFound) as exc:
            result = exc.with_traceback(None)  # keep the message, not the frames
        self._known[key] = (signature, result)
        return result


# The process's catalog: the window and the CLI share it, so a second run re-reads nothing.
catalog = Catalog()


def discover_models(extra_paths: Iterable[Path] = (), problems: list[str] | None = None) -> list[ModelInfo]:
    return catalog.models(extra_paths, problems)


def find_model(name_or_path: str, extra_paths: Iterable[Path] = ()) -> ModelInfo:
    return catalog.find(name_or_path, extra_paths)


def model_info_at(path: Path, origin: str = "path") -> ModelInfo:
    return catalog.at(path, origin)


def default_model_name(models: list[ModelInfo]) -> str | None:
    names = [m.name for m in models]
    if DEFAULT_MODEL in names:
        return DEFAULT_MODEL
    return names[0] if names else None
