"""Finding models: bundled ones in assets/, the user's models folder, the "models folders" of the
settings file (an AUTOMATIC1111 models/Stable-diffusion, a ComfyUI models/checkpoints: single
checkpoint files and model folders, one level of sub-folders deep), and explicit paths.

Torch-free. The Catalog describes each model folder once and keeps the ModelInfo (or the
problem) until the folder changes, so a run does not re-read every config and safetensors
header. "Changed" means a different mtime or size of the folder, of any file in it, or of any
file one level down (diffusers keeps its configs in unet/ and scheduler/); for a single
checkpoint file, its own mtime and size.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from engine import config_file
from engine.errors import ModelLoadError, ModelNotFound
from engine.models.formats import detect_format
from engine.models.formats.single_file import SUFFIXES as CHECKPOINT_SUFFIXES
from engine.models.info import ModelInfo
from engine.paths import bundled_models_dir, user_models_dir

DEFAULT_MODEL = "digits-diffusion"
Signature = tuple[tuple[str, int, int], ...]
Problem = ModelLoadError | ModelNotFound


FOLDER = "folder"  # the origin of models found in a configured models folder


def default_roots() -> list[tuple[Path, str]]:
    # Evaluated on every scan: the user's folder may be moved by settings or tests, and the
    # settings file's models folders edited by the window or by hand.
    return [(bundled_models_dir(), "bundled"), (user_models_dir(), "user")] + [
        (folder, FOLDER) for folder in config_file.models_folders()]


def model_location(path: Path) -> Path:
    """What describes the model at path: the folder, the folder a weight file sits in, or a single
    checkpoint file that is a model by itself."""
    if path.is_dir():
        return path
    try:
        detect_format(path.parent)
        return path.parent  # a weight file inside a model folder
    except (ModelLoadError, OSError):
        return path


def describe_folder(path: Path, origin: str = "path") -> ModelInfo:
    """The model in a folder (or a single checkpoint file), read now, uncached."""
    if not path.exists():
        raise ModelNotFound(f"{path}: no such file or folder")
    location = model_location(path)
    try:
        return detect_format(location).describe(location, origin)
    except PermissionError:
        raise ModelLoadError(f"{location}: cannot read it (permission denied)") from None


def _is_checkpoint(path: Path) -> bool:
    return path.suffix.lower() in CHECKPOINT_SUFFIXES and path.is_file()


def root_candidates(root: Path, origin: str, problems: list[str]) -> list[tuple[Path, str]]:
    """Model folders and checkpoint files directly in root; in a configured models folder, also the
    checkpoint files of sub-folders that are not models themselves (AUTOMATIC1111 allows those)."""
    if not root.is_dir():
        if origin == FOLDER:
            problems.append(f"models folder {root}: not found (change the list in the window's "
                            f"File > Models folders…, or in {config_file.config_path()})")
        return []
    try:
        children = sorted(root.iterdir())
    except OSError as exc:
        problems.append(f"models folder {root}: cannot be read ({exc.strerror or exc})")
        return []
    found: list[tuple[Path, str]] = []
    for child in children:
        if child.name.startswith("."):
            continue
        if _is_checkpoint(child):
            found.append((child, origin))
        elif child.is_dir():
            if origin != FOLDER or _is_model_folder(child):
                found.append((child, origin))
            else:
                try:
                    found += [(f, origin) for f in sorted(child.iterdir()) if _is_checkpoint(f)]
                except OSError as exc:
                    problems.append(f"{child}: cannot be read ({exc.strerror or exc})")
    return found


def _is_model_folder(folder: Path) -> bool:
    try:
        detect_format(folder)
        return True
    except (ModelLoadError, OSError):
        return False


def folder_signature(folder: Path) -> Signature:
    """What changes when a model folder is edited, replaced or gains a file: cheap stats only."""
    entries: list[tuple[str, int, int]] = []
    if folder.is_file():
        try:
            stat = folder.stat()
            return ((".", stat.st_mtime_ns, stat.st_size),)
        except OSError:
            return ((".", -1, -1),)
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
        scan_problems: list[str] = list(config_file.problems())
        for root, origin in self._roots():
            candidates += root_candidates(root, origin, scan_problems)
        candidates += [(Path(p), "path") for p in extra_paths]
        if problems is not None:
            problems += scan_problems
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
        """The model in one folder (or the folder of a weight file, or one checkpoint file), cached."""
        if not path.exists():
            raise ModelNotFound(f"{path}: no such file or folder")
        with self._lock:
            result = self._entry(model_location(path), origin)
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
        except (ValueError, TypeError, KeyError, OverflowError, RecursionError, OSError) as exc:
            # A format's describe() missed a check: still one line naming the folder, never a crash of the listing.
            result = ModelLoadError(f"{folder}: cannot read this model folder ({type(exc).__name__}: {exc})")
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
