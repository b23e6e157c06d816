"""One PNG per sample (the final images), each with the A1111 `parameters` text and our recipe."""

from __future__ import annotations

from pathlib import Path

from engine.export.a1111 import RestoredRecipe
from engine.export.formats.base import ExportFormat, ExportOptions, Kind, Needs, final_images, started_recipe
from engine.export.formats.reading import png_recipe
from engine.export.png import save_png
from engine.seeds import sample_tag
from engine.trajectory import Trajectory


class SamplePngs(ExportFormat):
    id, label, kind, suffixes, needs = "png", "Sample PNGs", Kind.IMAGE, (".png",), Needs.FINAL
    per_sample = True

    def file_name(self, trajectory: Trajectory, stem: str, options: ExportOptions) -> str:
        return f"{stem}-{sample_tag(started_recipe(trajectory), options.sample or 0)}.png"

    def write(self, trajectory: Trajectory, path: Path, options: ExportOptions,
              model_hash: str | None = None) -> Path:
        index = options.sample or 0
        return save_png(final_images(trajectory)[index], path, started_recipe(trajectory), model_hash,
                        sample_index=index)

    def read_recipe(self, path: Path) -> RestoredRecipe | None:
        return png_recipe(path)

    def suggested(self, trajectory: Trajectory) -> bool:
        return trajectory.final is not None
