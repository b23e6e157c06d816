"""PNG export with the recipe inside.

Two text chunks: `parameters`, the AUTOMATIC1111 line other tools and readers parse, and
`noisescope_recipe`, the full recipe as JSON (what Noisescope restores from).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from engine.atomic import write_atomically
from engine.recipe import Recipe
from engine.samplers import NO_SAMPLER, SAMPLERS

RECIPE_KEY = "noisescope_recipe"


def a1111_parameters(recipe: Recipe, height: int, width: int, model_hash: str | None = None,
                     sample_index: int = 0) -> str:
    """The `parameters` text: a prompt line, then `Steps: N, Sampler: X, ...`."""
    prompt = f"class {recipe.label}" if recipe.label is not None else "unconditional"
    sampler = SAMPLERS[recipe.sampler].display_name if recipe.sampler != NO_SAMPLER else recipe.family or "none"
    fields = [
        ("Steps", recipe.steps),
        ("Sampler", sampler),
        ("CFG scale", f"{recipe.guidance:g}"),
        ("Seed", recipe.seed + sample_index),
        ("Size", f"{width}x{height}"),
    ]
    if model_hash:
        fields.append(("Model hash", model_hash))
    fields.append(("Model", recipe.model))
    if recipe.eta:
        fields.append(("Eta", f"{recipe.eta:g}"))
    if recipe.batch > 1:
        fields += [("Batch size", recipe.batch), ("Batch pos", sample_index)]
    return prompt + "\n" + ", ".join(f"{key}: {value}" for key, value in fields)


def image_from_array(array: np.ndarray) -> Image.Image:
    """(H, W, C) uint8, C 1 or 3 -> a PIL image."""
    return Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)


def save_png(image: np.ndarray, path: Path, recipe: Recipe, model_hash: str | None = None,
             sample_index: int = 0) -> Path:
    info = PngImagePlugin.PngInfo()
    height, width = image.shape[:2]
    info.add_text("parameters", a1111_parameters(recipe, height, width, model_hash, sample_index))
    info.add_text(RECIPE_KEY, recipe.to_json())
    picture = image_from_array(image)
    return write_atomically(Path(path), lambda temporary: picture.save(temporary, format="PNG", pnginfo=info))
