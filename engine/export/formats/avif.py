"""Animated AVIF, where this Pillow can write it (features.check("avif")): the recipe in XMP.

Added as the demonstration that a format is one module plus one line in registry.py."""

from __future__ import annotations

from pathlib import Path

from engine.export.a1111 import RestoredRecipe
from engine.export.formats.animated import AnimationFormat, pillow_frames
from engine.export.formats.reading import xmp_image_recipe
from engine.export.xmp import xmp_packet

QUALITY = 90  # near-lossless; AVIF's lossless mode is not reachable through Pillow's options
SPEED = 8  # encoder effort: 6 (Pillow's default) took 6.8 s for a 31-frame 232 px grid here, 8 took 1.0 s


class Avif(AnimationFormat):
    id, label, suffixes = "avif", "AVIF", (".avif",)

    def available(self) -> bool:
        from PIL import Image, features

        Image.init()
        return bool(features.check("avif")) and "AVIF" in Image.SAVE_ALL

    def encode(self, temporary, frames, trajectory, options, model_hash) -> None:
        first, rest, durations = pillow_frames(frames)
        # 4:4:4 keeps the colour of single pixels (4:2:0 would smear upscaled tiny samples)
        extra = {} if first.mode == "L" else {"subsampling": "4:4:4"}
        first.save(temporary, format="AVIF", save_all=True, append_images=rest, duration=durations, loop=0,
                   quality=QUALITY, speed=SPEED, xmp=xmp_packet(trajectory.recipe.to_json()), **extra)

    def read_recipe(self, path: Path) -> RestoredRecipe | None:
        return xmp_image_recipe(path)
