"""Reading a comparison document back from an exported file (what `noisescope show` lists).

The text comes from the container without decoding a pixel (engine.export.formats.image_metadata
for PNG, APNG, GIF and WebP; the MP4 container's tags through PyAV). None: the file is no
comparison (it may still carry one recipe, which engine.export.restore reads).
"""

from __future__ import annotations

from pathlib import Path

from engine.compare.metadata import COMPARISON_KEY, Comparison, is_comparison_json, parse_comparison
from engine.errors import CompareError, NoisescopeError
from engine.export.embedded_document import embedded_document_text


def read_comparison(path: Path) -> Comparison | None:
    path = Path(path)
    try:
        text = embedded_document_text(path, COMPARISON_KEY, "comparison")
    except NoisescopeError:
        raise
    except Exception as exc:  # a broken container no reader foresaw: a message naming the file, never a traceback
        raise CompareError(f"{path.name}: its metadata cannot be read ({type(exc).__name__}: {str(exc)[:200]})") from None
    if text is None or not is_comparison_json(text):
        return None
    try:
        return parse_comparison(text)
    except CompareError as exc:
        raise CompareError(f"{path.name}: {exc.message}") from None
