"""The batch as one PNG grid; its A1111 line names the first seed and the batch size."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.export.a1111 import RestoredRecipe
from engine.export.formats.base import (
    ExportFormat,
    ExportOptions,
    Kind,
    Needs,
    base_name,
    final_images,
    started_recipe,
)
from engine.export.formats.reading import png_recipe
from engine.export.grid import make_grid
from engine.export.png import save_png
from engine.recipe import Recipe
from engine.trajectory import Trajectory


class GridPng(ExportFormat):
    id, label, kind, suffixes, needs = "grid", "The batch as one PNG grid", Kind.IMAGE, (".png",), Needs.FINAL

    def file_name(self, trajectory: Trajectory, stem: str, options: ExportOptions) -> str:
        return f"{base_name(trajectory, stem)}-grid.png"

    def write(self, trajectory: Trajectory, path: Path, options: ExportOptions,
              model_hash: str | None = None) -> Path:
        return save_grid(final_images(trajectory), path, started_recipe(trajectory), model_hash)

    def read_recipe(self, path: Path) -> RestoredRecipe | None:
        return png_recipe(path)

    def suggested(self, trajectory: Trajectory) -> bool:
        return trajectory.final is not None and trajectory.batch > 1


def save_grid(images: np.ndarray, path: Path, recipe: Recipe, model_hash: str | None = None) -> Path:
    """The whole batch as one PNG, carrying the recipe (A1111 line: first seed, batch size)."""
    return save_png(make_grid(images), path, recipe, model_hash, sample_index=None, size=images.shape[1:3])
