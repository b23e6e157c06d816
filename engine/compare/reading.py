"""Reading a comparison document back from an exported file (what `noisescope show` lists).

The text comes from the container without decoding a pixel (engine.export.formats.image_metadata
for PNG, APNG, GIF and WebP; the MP4 container's tags through PyAV). None: the file is no
comparison (it may still carry one recipe, which engine.export.restore reads).
"""

from __future__ import annotations

from pathlib import Path

from engine.compare.metadata import COMPARISON_KEY, Comparison, is_comparison_json, parse_comparison
from engine.errors import CompareError, ExportError, NoisescopeError
from engine.export.formats.image_metadata import read_image_metadata
from engine.export.xmp import xmp_value


def read_comparison(path: Path) -> Comparison | None:
    path = Path(path)
    try:
        text = _document_text(path)
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


def _document_text(path: Path) -> str | None:
    metadata = read_image_metadata(path)
    if metadata is not None:
        return (metadata.text.get(COMPARISON_KEY) or metadata.text.get("comment")
                or xmp_value(metadata.text.get("xmp"), "comparison"))
    if path.name.lower().endswith(".mp4"):
        return _mp4_comment(path)
    return None


def _mp4_comment(path: Path) -> str | None:
    import av

    try:
        with av.open(str(path)) as container:
            return container.metadata.get("comment")
    except (OSError, av.FFmpegError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from None
