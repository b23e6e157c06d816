"""Finding models: bundled ones in assets/, the user's models folder, and explicit paths."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch

from engine.errors import ModelLoadError, ModelNotFound
from engine.models.bundled import bundled_info, is_bundled_folder, load_bundled
from engine.models.diffusers_folder import diffusers_info, is_diffusers_folder, load_diffusers
from engine.models.info import ModelInfo
from engine.models.loaded import LoadedModel
from engine.paths import bundled_models_dir, user_models_dir

DEFAULT_MODEL = "digits-diffusion"


def model_info_at(path: Path, origin: str = "path") -> ModelInfo:
    """The model in a folder (or the folder of a weight file)."""
    if not path.exists():
        raise ModelNotFound(f"{path}: no such file or folder")
    folder = path if path.is_dir() else path.parent
    try:
        if is_diffusers_folder(folder):
            return diffusers_info(folder, origin)
        if is_bundled_folder(folder):
            return bundled_info(folder, origin)
    except PermissionError:
        raise ModelLoadError(f"{folder}: cannot read the folder (permission denied)") from None
    raise ModelLoadError(
        f"{folder}: not a model folder: expected a Noisescope config.json (format noisescope-model) "
        "or a diffusers model_index.json"
    )


def discover_models(extra_paths: Iterable[Path] = (), problems: list[str] | None = None) -> list[ModelInfo]:
    """Every model we can offer, bundled first. Folders that fail to read are reported in
    `problems` (when given) instead of hiding the others."""
    found: list[ModelInfo] = []
    candidates: list[tuple[Path, str]] = []
    for root, origin in ((bundled_models_dir(), "bundled"), (user_models_dir(), "user")):
        if root.is_dir():
            candidates += [(child, origin) for child in sorted(root.iterdir()) if child.is_dir()]
    candidates += [(Path(p), "path") for p in extra_paths]
    for folder, origin in candidates:
        try:
            found.append(model_info_at(folder, origin))
        except (ModelLoadError, ModelNotFound) as exc:
            if problems is not None:
                problems.append(exc.message)
    return found


def default_model_name(models: list[ModelInfo]) -> str | None:
    names = [m.name for m in models]
    if DEFAULT_MODEL in names:
        return DEFAULT_MODEL
    return names[0] if names else None


def find_model(name_or_path: str, extra_paths: Iterable[Path] = ()) -> ModelInfo:
    """A model by name (bundled, user folder, extra paths) or by path."""
    extra = list(extra_paths)
    candidate = Path(name_or_path).expanduser()
    if candidate.exists() or "/" in name_or_path or "\\" in name_or_path:
        return model_info_at(candidate)
    models = discover_models(extra)
    for info in models:
        if info.name == name_or_path:
            return info
    names = ", ".join(m.name for m in models) or "none found"
    raise ModelNotFound(f"no model named {name_or_path!r}; available: {names} (or give a folder path)")


def load_model(info: ModelInfo, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    if info.format == "diffusers":
        return load_diffusers(info, device, dtype)
    return load_bundled(info, device, dtype)
