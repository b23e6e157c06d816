"""GIF: the denoising as an animation; the recipe JSON in the comment extension."""

from __future__ import annotations

from pathlib import Path

from engine.export.a1111 import RestoredRecipe
from engine.export.formats.animated import AnimationFormat, pillow_frames
from engine.export.formats.reading import comment_recipe


class Gif(AnimationFormat):
    id, label, suffixes = "gif", "GIF", (".gif",)

    def encode(self, temporary, frames, trajectory, options, model_hash) -> None:
        first, rest, durations = pillow_frames(frames)
        first.save(temporary, format="GIF", save_all=True, append_images=rest, duration=durations, loop=0,
                   comment=trajectory.recipe.to_json().encode())

    def read_recipe(self, path: Path) -> RestoredRecipe | None:
        return comment_recipe(path)
