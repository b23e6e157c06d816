"""The init image carried inside an exported PNG, so an img2img picture restores whole on another machine.

A PNG (or APNG) of an image-to-image run holds, besides its recipe, the init image's bytes in a text
chunk (base64), when they are small enough for Pillow's text-chunk limit (a drawing always is; a
large photo stays beside the history only, and the recipe still names it by hash). Restoring the
file keeps those bytes beside the history again (engine/init_image_files.py), so the restored
recipe finds its image.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from pathlib import Path

from PIL import Image, ImageFile

from engine.errors import InvalidRecipe, NoisescopeError
from engine.init_image import InitImage, sha256_of
from engine.init_image_files import init_image_bytes, keep_bytes

INIT_IMAGE_KEY = "noisescope_init_image"
MAX_EMBEDDED = ImageFile.SAFEBLOCK * 3 // 4  # base64 of at most this many bytes fits Pillow's 1 MB chunk limit


def embedded_text(init: InitImage | None) -> str | None:
    """The chunk's text for this init image; None when there is none, it is too large or cannot be read."""
    if init is None:
        return None
    try:
        data = init_image_bytes(init)
    except InvalidRecipe:
        return None  # the run had it; a file moved since only costs the copy inside the export
    return base64.b64encode(data).decode("ascii") if len(data) <= MAX_EMBEDDED else None


def keep_embedded(path: Path, init: InitImage | None) -> bool:
    """Keep the init image a PNG carries, when it is the recipe's (same hash); whether it was kept."""
    if init is None:
        return False
    try:
        with Image.open(path) as picture:
            text = getattr(picture, "text", {}).get(INIT_IMAGE_KEY)
        data = base64.b64decode(text, validate=True) if text else None
    except (OSError, ValueError, binascii.Error):
        return False
    if data is None or sha256_of(data) != init.sha256:
        return False
    with contextlib.suppress(OSError, NoisescopeError):
        keep_bytes(data, init.name)
        return True
    return False
