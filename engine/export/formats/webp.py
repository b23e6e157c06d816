"""Animated WebP (lossless): the recipe JSON in an XMP packet."""

from __future__ import annotations

from pathlib import Path

from engine.export.a1111 import RestoredRecipe
from engine.export.formats.animated import AnimationFormat, pillow_frames
from engine.export.formats.reading import xmp_image_recipe
from engine.export.xmp import xmp_packet


class WebP(AnimationFormat):
    id, label, suffixes = "webp", "WebP", (".webp",)

    def encode(self, temporary, frames, trajectory, options, model_hash) -> None:
        first, rest, durations = pillow_frames(frames)
        first.save(temporary, format="WEBP", save_all=True, append_images=rest, duration=durations, loop=0,
                   lossless=True, xmp=xmp_packet(trajectory.recipe.to_json()))

    def read_recipe(self, path: Path) -> RestoredRecipe | None:
        return xmp_image_recipe(path)
