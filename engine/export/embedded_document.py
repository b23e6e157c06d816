"""The text of a JSON document an export carries beside its recipe (a comparison, an interpolation),
read from the container without decoding a pixel: its own PNG/WebP text key, the GIF comment, an XMP
attribute, or the MP4 container's comment tag (PyAV). None: the file carries no such text."""

from __future__ import annotations

from pathlib import Path

from engine.errors import ExportError
from engine.export.formats.image_metadata import read_image_metadata
from engine.export.xmp import xmp_value


def embedded_document_text(path: Path, key: str, xmp_name: str) -> str | None:
    metadata = read_image_metadata(path)
    if metadata is not None:
        return metadata.text.get(key) or metadata.text.get("comment") or xmp_value(metadata.text.get("xmp"), xmp_name)
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
