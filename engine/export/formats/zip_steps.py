"""A ZIP of every step's PNGs: per step the noisy sample (x_t) and the model's guess (x0), then
the final image; of one sample, or the batch as a grid (the animation's "Of" setting).

Every PNG inside carries the recipe like a sample PNG; the archive's comment is the recipe JSON,
so the ZIP itself restores (drop it on the window, or `noisescope show`). PNGs are stored, not
deflated again: they are compressed already. Added as the demonstration that a new format is
one module plus one line in registry.py.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from engine.atomic import write_atomically
from engine.errors import ExportError
from engine.export.a1111 import RestoredRecipe, restore_from_json
from engine.export.formats.base import (
    ExportFormat,
    ExportOptions,
    Kind,
    Needs,
    animation_subject,
    base_name,
    started_recipe,
)
from engine.export.grid import make_grid
from engine.export.png import image_from_array, png_info
from engine.trajectory import Trajectory

VIEWS = ("x_t", "x0")


class ZipOfSteps(ExportFormat):
    id, label, kind, suffixes, needs = "zip", "ZIP of every step's PNGs", Kind.STEPS, (".zip",), Needs.STEPS

    def file_name(self, trajectory: Trajectory, stem: str, options: ExportOptions) -> str:
        return f"{base_name(trajectory, stem)}-steps-{animation_subject(options)}.zip"

    def write(self, trajectory: Trajectory, path: Path, options: ExportOptions,
              model_hash: str | None = None) -> Path:
        sample, recipe = options.animation.sample, started_recipe(trajectory)
        if not trajectory.steps:
            raise ExportError("nothing to save: the run recorded no steps")
        if sample is not None and not 0 <= sample < trajectory.batch:
            raise ExportError(f"sample must be between 0 and {trajectory.batch - 1}, not {sample}")
        height, width = trajectory.steps[0].x_t.shape[1:3]
        info = png_info(recipe, height, width, model_hash, sample_index=sample)

        def picture(batch: np.ndarray) -> bytes:
            buffer = io.BytesIO()
            image = batch[sample] if sample is not None else make_grid(batch)
            image_from_array(image).save(buffer, format="PNG", pnginfo=info)
            return buffer.getvalue()

        def save(temporary: Path) -> None:
            with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive:
                archive.comment = recipe.to_json().encode()
                for number, step in enumerate(trajectory.steps, start=1):
                    for view in VIEWS:
                        archive.writestr(f"step{number:04d}-{view}.png", picture(getattr(step, view)))
                if trajectory.final is not None:
                    archive.writestr("final.png", picture(trajectory.final))

        return write_atomically(Path(path), save)

    def read_recipe(self, path: Path) -> RestoredRecipe | None:
        try:
            with zipfile.ZipFile(path) as archive:
                comment = archive.comment
        except FileNotFoundError:
            raise ExportError(f"{path}: no such file") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise ExportError(f"{Path(path).name} is not a ZIP Noisescope can read ({exc})") from None
        if not comment.startswith(b"{"):
            return None
        try:
            return restore_from_json(comment.decode())
        except UnicodeDecodeError:
            raise ExportError(f"{Path(path).name}: its comment is not UTF-8, so not a recipe") from None

