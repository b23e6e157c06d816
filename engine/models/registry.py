"""Finding and loading models: the catalog's lookups (torch-free, engine/models/catalog.py) and
load_model, which hands a ModelInfo to its format's loader (torch)."""

from __future__ import annotations

from typing import Any

from engine.models.catalog import (  # noqa: F401 (the names callers import from here)
    DEFAULT_MODEL,
    catalog,
    default_model_name,
    discover_models,
    find_model,
    model_info_at,
)
from engine.models.formats import get_format
from engine.models.info import ModelInfo

__all__ = ["DEFAULT_MODEL", "catalog", "default_model_name", "discover_models", "find_model", "load_model",
           "model_info_at"]


def load_model(info: ModelInfo, device: Any, dtype: Any) -> Any:
    """The model in memory (a LoadedModel for the built-in formats); ModelLoadError if it cannot be."""
    return get_format(info.format).load(info, device, dtype)
