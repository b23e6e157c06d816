"""PNG export with the recipe inside.

Two text chunks: `parameters`, the AUTOMATIC1111 line other tools and readers parse, and
`noisescope_recipe`, the full recipe as JSON (what Noisescope restores from).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from engine.atomic import write_atomically
from engine.export.a1111 import a1111_parameters, prompt_line
from engine.export.init_image_chunk import INIT_IMAGE_KEY, embedded_text
from engine.recipe import Recipe

RECIPE_KEY = "noisescope_recipe"
PARAMETERS_KEY = "parameters"

__all__ = ["PARAMETERS_KEY", "RECIPE_KEY", "a1111_parameters", "image_from_array", "png_info", "prompt_line",
           "save_png"]


def png_info(recipe: Recipe, height: int, width: int, model_hash: str | None = None,
             sample_index: int | None = 0) -> PngImagePlugin.PngInfo:
    """The two text chunks, for a PNG or an APNG."""
    info = PngImagePlugin.PngInfo()
    info.add_text(PARAMETERS_KEY, a1111_parameters(recipe, height, width, model_hash, sample_index))
    info.add_text(RECIPE_KEY, recipe.to_json())
    init_image = embedded_text(recipe.init_image)  # image-to-image: its init image travels with the picture
    if init_image is not None:
        info.add_text(INIT_IMAGE_KEY, init_image)
    return info


def image_from_array(array: np.ndarray) -> Image.Image:
    """(H, W, C) uint8, C 1 or 3 -> a PIL image."""
    return Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)


def save_png(image: np.ndarray, path: Path, recipe: Recipe, model_hash: str | None = None,
             sample_index: int | None = 0, size: tuple[int, int] | None = None) -> Path:
    """Write one (H, W, C) uint8 image. `size` (height, width) is the model's image size when
    the picture is larger (a grid, an upscale): A1111's Size field names the sample size."""
    height, width = size or image.shape[:2]
    info = png_info(recipe, height, width, model_hash, sample_index)
    picture = image_from_array(image)
    return write_atomically(Path(path), lambda temporary: picture.save(temporary, format="PNG", pnginfo=info))
