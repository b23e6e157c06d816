"""APNG: the denoising as an animated PNG; the recipe in the same text chunks as a PNG."""

from __future__ import annotations

from pathlib import Path

from engine.export.a1111 import RestoredRecipe
from engine.export.formats.animated import AnimationFormat, pillow_frames
from engine.export.formats.reading import png_recipe
from engine.export.png import png_info


class Apng(AnimationFormat):
    id, label, suffixes = "apng", "APNG", (".apng",)

    def encode(self, temporary, frames, trajectory, options, model_hash) -> None:
        first, rest, durations = pillow_frames(frames)
        height, width = trajectory.steps[0].x_t.shape[1:3]
        info = png_info(trajectory.recipe, height, width, model_hash, sample_index=options.sample)
        first.save(temporary, format="PNG", save_all=True, append_images=rest, duration=durations, loop=0,
                   pnginfo=info)

    def read_recipe(self, path: Path) -> RestoredRecipe | None:
        return png_recipe(path)
