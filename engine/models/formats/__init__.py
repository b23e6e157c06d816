"""Model formats: how a folder on disk becomes a ModelInfo, and how that loads.

A format is any object with the ModelFormat shape. The built-in ones are listed in FORMAT_MODULES
(imported on first use); a plug-in may also call register_format at import time. Every format
module must be importable without torch: `load` imports the runtime inside itself.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from engine.errors import ModelLoadError

if TYPE_CHECKING:
    from engine.models.info import ModelInfo

# Tried in this order; the first whose detect() is true describes the folder.
FORMAT_MODULES = ("engine.models.formats.diffusers", "engine.models.formats.noisescope",
                  "engine.models.formats.single_file")  # files, not folders: last


class ModelFormat(Protocol):
    id: str  # stored in ModelInfo.format
    label: str  # for error messages: "a diffusers model_index.json"

    def detect(self, folder: Path) -> bool:
        """Cheap: does this folder claim to be in this format? (a config file's name or format key)"""

    def describe(self, folder: Path, origin: str) -> ModelInfo:
        """Everything known without loading the weights; raises ModelLoadError for a bad folder."""

    def weights_file(self, info: ModelInfo) -> Path:
        """The file whose bytes identify the model (hashed for A1111's "Model hash")."""

    def load(self, info: ModelInfo, device: Any, dtype: Any) -> Any:
        """The model in memory, ready for its pipeline (imports torch inside)."""

    def hash(self, info: ModelInfo) -> str:
        """A1111's short hash of the weights (cached by file version)."""


_formats: dict[str, ModelFormat] = {}
_builtins_loaded = False


def register_format(fmt: ModelFormat) -> ModelFormat:
    _formats[fmt.id] = fmt
    return fmt


def formats() -> list[ModelFormat]:
    global _builtins_loaded
    if not _builtins_loaded:
        for name in FORMAT_MODULES:
            importlib.import_module(name)  # each registers itself
        _builtins_loaded = True
    order = {module_id(name): i for i, name in enumerate(FORMAT_MODULES)}
    return sorted(_formats.values(), key=lambda f: order.get(f.id, len(order)))


def module_id(module_name: str) -> str:
    return module_name.rsplit(".", 1)[-1]


def get_format(format_id: str) -> ModelFormat:
    for fmt in formats():
        if fmt.id == format_id:
            return fmt
    known = ", ".join(f.id for f in formats())
    raise ModelLoadError(f"unknown model format {format_id!r} (known formats: {known})")


def detect_format(folder: Path) -> ModelFormat:
    """The format of a model folder; ModelLoadError says what a model folder must contain."""
    for fmt in formats():
        if fmt.detect(folder):
            return fmt
    expected = " or ".join(f.label for f in formats())
    raise ModelLoadError(f"{folder}: not a model folder: expected {expected}")


def weights_hash(fmt: ModelFormat, info: ModelInfo) -> str:
    """The usual `hash`: the cached short hash of the format's weights file."""
    from engine.models.hashing import file_hash

    return file_hash(fmt.weights_file(info))
