"""Restoring a recipe from a file: our own exports, or a PNG from another tool.

Each export format reads its own files (engine/export/formats/, asked through the registry);
an A1111 `parameters` text is parsed by engine.export.a1111, which names what it could not
restore. read_recipe(path) is the entry point `noisescope show` and drop-to-restore call.
"""

from __future__ import annotations

from pathlib import Path

from engine.export.a1111 import RestoredRecipe, parse_a1111, restore_from_json
from engine.export.formats import registry
from engine.export.init_image_chunk import keep_embedded


def read_recipe(path: Path) -> RestoredRecipe:
    """The recipe a file carries; ExportError if it carries none or cannot be read. An init image
    the file carries is kept beside the history, where the restored recipe's run finds it."""
    restored = registry.read_recipe(Path(path))
    keep_embedded(Path(path), restored.fields.get("init_image"))
    return restored


__all__ = ["RestoredRecipe", "parse_a1111", "read_recipe", "restore_from_json"]
