"""Reading the recipe an image file carries: the shared half of the image formats' readers.

The text comes from the container (image_metadata.py: no pixel is decoded, the work is capped),
then: our recipe JSON, else an A1111 `parameters` text (PNG chunk or EXIF UserComment), else
another tool's metadata (engine/export/foreign/). A file whose text could not all be read
(a chunk over the caps, bad UTF-8) says so instead of "carries no recipe".
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from engine.errors import ExportError, NoisescopeError
from engine.export.a1111 import RestoredRecipe, parse_a1111, restore_from_json
from engine.export.foreign import foreign_recipe
from engine.export.formats.image_metadata import read_image_metadata
from engine.export.png import PARAMETERS_KEY, RECIPE_KEY
from engine.export.xmp import xmp_recipe


def image_info(path: Path) -> dict[str, Any]:
    """Pillow's info dict, for containers image_metadata does not walk (AVIF). Header only: a
    huge declared size is no reason to refuse the metadata (no pixel is decoded here)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return {str(key): value for key, value in image.info.items()}
    except FileNotFoundError:
        raise ExportError(f"{path}: no such file") from None
    except Image.DecompressionBombError:
        raise ExportError(f"{Path(path).name} declares an image too large to open; its metadata was not read") from None
    except UnidentifiedImageError:
        raise ExportError(f"{Path(path).name} is not an image Noisescope can read") from None
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, SyntaxError, EOFError) as exc:  # Pillow's plugins on broken headers
        raise ExportError(f"{Path(path).name} is a broken image ({exc})") from None


def image_recipe(path: Path) -> RestoredRecipe | None:
    """The recipe in a PNG, APNG, GIF, WebP or JPEG: ours, A1111's, or another tool's.
    None when the content is no such image (another reader may know it)."""
    metadata = read_image_metadata(path)
    if metadata is None:
        return _pillow_recipe(path)
    text = metadata.text
    if RECIPE_KEY in text:
        hints = _parameters_hints(text.get(PARAMETERS_KEY))
        return restore_from_json(text[RECIPE_KEY], *hints)
    if "comment" in text and text["comment"].lstrip().startswith("{") and metadata.container == "gif":
        return restore_from_json(text["comment"])
    recipe_json = xmp_recipe(text.get("xmp"))
    if recipe_json:
        return restore_from_json(recipe_json)
    for key in (PARAMETERS_KEY, "exif:UserComment"):
        value = text.get(key, "")
        if "Steps:" in value and not value.lstrip().startswith("{"):
            return parse_a1111(value)
    restored = foreign_recipe(text)
    if restored is not None:
        return restored
    if metadata.problems:
        raise ExportError(f"{Path(path).name}: no recipe could be read; " + "; ".join(dict.fromkeys(metadata.problems)))
    return None


def _parameters_hints(parameters: str | None) -> tuple[str | None, int | None]:
    """(model hash, sample index) from our own PNG's A1111 line, which the JSON does not hold."""
    if not parameters or "Steps:" not in parameters:
        return None, None
    try:
        restored = parse_a1111(parameters)
    except NoisescopeError:
        return None, None
    return restored.model_hash, restored.sample


def _pillow_recipe(path: Path) -> RestoredRecipe | None:
    recipe_json = xmp_recipe(image_info(path).get("xmp"))
    return restore_from_json(recipe_json) if recipe_json else None


# The names the formats used before image_recipe; each one reads every image container now.
png_recipe = comment_recipe = xmp_image_recipe = image_recipe
