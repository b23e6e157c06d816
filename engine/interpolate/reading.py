"""Reading an interpolation's document back from an exported file (what `noisescope show` lists).

The text comes from the container without decoding a pixel (engine.export.formats.image_metadata
for PNG, APNG, GIF and WebP; the MP4 container's comment tag through PyAV). None: the file is
no interpolation (it may still carry one recipe, which engine.export.restore reads).
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import ExportError, InvalidRecipe
from engine.export.embedded_document import embedded_document_text
from engine.interpolate.document import Interpolation, is_interpolation_json, parse_interpolation
from engine.interpolate.plan import INTERPOLATION_KEY


def read_interpolation(path: Path) -> Interpolation | None:
    path = Path(path)
    text = embedded_document_text(path, INTERPOLATION_KEY, "interpolation")
    if text is None or not is_interpolation_json(text):
        return None
    try:
        return parse_interpolation(text)
    except InvalidRecipe as exc:
        raise ExportError(f"{path.name}: {exc.message}") from None
