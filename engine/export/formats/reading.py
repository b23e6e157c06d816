"""Reading what Pillow sees in an image file: the shared half of the image formats' readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import ExportError
from engine.export.a1111 import RestoredRecipe, parse_a1111, restore_from_json
from engine.export.png import PARAMETERS_KEY, RECIPE_KEY
from engine.export.xmp import xmp_recipe


def image_info(path: Path) -> dict[str, Any]:
    """Pillow's info dict (text chunks, comment, xmp); ExportError for a missing or non-image file."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return {str(key): value for key, value in image.info.items()}
    except FileNotFoundError:
        raise ExportError(f"{path}: no such file") from None
    except UnidentifiedImageError:
        raise ExportError(f"{Path(path).name} is not an image Noisescope can read") from None
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None


def png_recipe(path: Path) -> RestoredRecipe | None:
    """A PNG's (or APNG's) text chunks: our recipe JSON, else an A1111 `parameters` text."""
    info = image_info(path)
    if RECIPE_KEY in info:
        return restore_from_json(info[RECIPE_KEY])
    if PARAMETERS_KEY in info:
        return parse_a1111(info[PARAMETERS_KEY])
    return None


def comment_recipe(path: Path) -> RestoredRecipe | None:
    """A GIF's comment extension holding the recipe JSON."""
    comment = image_info(path).get("comment")
    if isinstance(comment, bytes) and comment.startswith(b"{"):
        return restore_from_json(comment.decode())
    return None


def xmp_image_recipe(path: Path) -> RestoredRecipe | None:
    """A WebP's or AVIF's XMP packet holding the recipe JSON."""
    recipe_json = xmp_recipe(image_info(path).get("xmp"))
    return restore_from_json(recipe_json) if recipe_json else None
