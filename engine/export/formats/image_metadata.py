"""The text an image file carries, read from its container without decoding a pixel.

PNG text chunks (tEXt, zTXt, iTXt, before or after the image data), a GIF's comment, WebP's
and JPEG's XMP and EXIF (UserComment, ImageDescription), read by walking the container's own
chunk structure. Why not Pillow's `Image.open(...).info`: it refuses a 20000x20000 header as a
decompression bomb, skips text placed after the image data, drops zTXt over its 1 MB limit and
hands back undecodable GIF comments as they are. Here the work is bounded by caps, not by the
file: at most MAX_ENTRIES chunks, MAX_TEXT bytes per text (decompression stops there) and
MAX_TOTAL in all; what is skipped is named in `problems`, so a person hears about it.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from engine.errors import ExportError
from engine.export.formats.exif import exif_texts

MAX_TEXT = 8 << 20  # one text value (a recipe, a ComfyUI graph) is far smaller
MAX_TOTAL = 32 << 20  # all the text read from one file
MAX_ENTRIES = 100_000  # chunks or segments walked (a PNG's IDAT chunks are only skipped over)
MAX_SUB_BLOCKS = 4_000_000  # a GIF's data sub-blocks (255 bytes each: about 1 GB of frames)


@dataclass
class ImageMetadata:
    container: str  # "png", "gif", "webp", "jpeg"
    text: dict[str, str] = field(default_factory=dict)  # PNG keyword / "comment" / "xmp" / "exif:UserComment" ...
    problems: list[str] = field(default_factory=list)  # what was skipped, for the message
    _total: int = 0

    def add(self, key: str, data: bytes, encoding: str) -> None:
        self._total += len(data)
        if self._total > MAX_TOTAL:
            self.problems.append(f"more than {MAX_TOTAL >> 20} MB of text: {key!r} and what follows were skipped")
            return
        try:
            value = data.decode(encoding)
        except UnicodeDecodeError as exc:
            self.problems.append(f"its {key!r} text is not valid {encoding.upper()} ({exc.reason} at byte {exc.start})")
            return
        self.text.setdefault(key, value)  # the first of two chunks with one keyword wins, as in Pillow


def sniff(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    return None


def read_image_metadata(path: Path) -> ImageMetadata | None:
    """The text in a PNG, GIF, WebP or JPEG file; None for any other content."""
    try:
        with open(path, "rb") as handle:
            container = sniff(handle.read(16))
            if container is None:
                return None
            handle.seek(0)
            metadata = ImageMetadata(container)
            _READERS[container](handle, metadata)
            return metadata
    except FileNotFoundError:
        raise ExportError(f"{path}: no such file") from None
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None


def _read_exactly(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise _Truncated
    return data


class _Truncated(Exception):
    pass


def _bounded_inflate(data: bytes, key: str, metadata: ImageMetadata) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT + 1)
    except zlib.error:
        metadata.problems.append(f"its compressed {key!r} text is corrupt")
        return None
    if len(out) > MAX_TEXT:
        metadata.problems.append(f"its {key!r} text is over {MAX_TEXT >> 20} MB: skipped")
        return None
    return out


def _png(handle: BinaryIO, metadata: ImageMetadata) -> None:
    handle.seek(8)
    for _ in range(MAX_ENTRIES):
        header = handle.read(8)
        if len(header) < 8:
            return  # the end (a file cut short keeps what was read)
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IEND":
            return
        if kind not in (b"tEXt", b"zTXt", b"iTXt"):
            handle.seek(length + 4, 1)  # data and CRC: pixels are never read
            continue
        if length > MAX_TEXT:
            metadata.problems.append(f"a {kind.decode()} chunk of {length >> 20} MB: skipped")
            handle.seek(length + 4, 1)
            continue
        try:
            data = _read_exactly(handle, length)
        except _Truncated:
            metadata.problems.append("the file is cut short")
            return
        handle.seek(4, 1)
        _png_text(kind, data, metadata)
    metadata.problems.append(f"more than {MAX_ENTRIES} chunks: the rest were not read")


def _png_text(kind: bytes, data: bytes, metadata: ImageMetadata) -> None:
    keyword, _, rest = data.partition(b"\0")
    key = keyword.decode("latin-1")
    if kind == b"tEXt":
        metadata.add(key, rest, "latin-1")
    elif kind == b"zTXt":
        inflated = _bounded_inflate(rest[1:], key, metadata)
        if inflated is not None:
            metadata.add(key, inflated, "latin-1")
    else:  # iTXt: flag, method, language\0, translated keyword\0, text
        if len(rest) < 2:
            return
        compressed, body = rest[0], rest[2:]
        body = body.split(b"\0", 2)[-1] if body.count(b"\0") >= 2 else b""
        if compressed:
            inflated = _bounded_inflate(body, key, metadata)
            if inflated is None:
                return
            body = inflated
        metadata.add(key, body, "utf-8")


def _gif(handle: BinaryIO, metadata: ImageMetadata) -> None:
    try:
        screen = _read_exactly(handle, 13)
        if screen[10] & 0x80:
            handle.seek(3 << ((screen[10] & 7) + 1), 1)  # the global colour table
        for _ in range(MAX_ENTRIES):
            introducer = handle.read(1)
            if introducer in (b"", b"\x3b"):
                return
            if introducer == b"\x21":  # an extension: label, then sub-blocks
                label = _read_exactly(handle, 1)
                body = _sub_blocks(handle, keep=label == b"\xfe")
                if label == b"\xfe" and "comment" not in metadata.text:
                    metadata.add("comment", body, "utf-8")
            elif introducer == b"\x2c":  # an image: descriptor, local colour table, LZW data (skipped)
                descriptor = _read_exactly(handle, 9)
                if descriptor[8] & 0x80:
                    handle.seek(3 << ((descriptor[8] & 7) + 1), 1)
                handle.seek(1, 1)
                _sub_blocks(handle, keep=False)
            else:
                metadata.problems.append("its block structure is broken: the rest was not read")
                return
    except _Truncated:
        metadata.problems.append("the file is cut short")


def _sub_blocks(handle: BinaryIO, keep: bool) -> bytes:
    parts: list[bytes] = []
    kept = 0
    for _ in range(MAX_SUB_BLOCKS):
        size = _read_exactly(handle, 1)[0]
        if size == 0:
            return b"".join(parts)
        if keep and kept < MAX_TEXT:
            parts.append(_read_exactly(handle, size))
            kept += size
        else:
            handle.seek(size, 1)
    raise _Truncated  # no end in sight: treated as a broken file


def _webp(handle: BinaryIO, metadata: ImageMetadata) -> None:
    handle.seek(12)
    for _ in range(MAX_ENTRIES):
        header = handle.read(8)
        if len(header) < 8:
            return
        kind, length = header[:4], struct.unpack("<I", header[4:])[0]
        if kind in (b"XMP ", b"EXIF") and length <= MAX_TEXT:
            try:
                data = _read_exactly(handle, length)
            except _Truncated:
                metadata.problems.append("the file is cut short")
                return
            handle.seek(length & 1, 1)
            if kind == b"XMP ":
                metadata.add("xmp", data, "utf-8")
            else:
                _exif(data, metadata)
        else:
            handle.seek(length + (length & 1), 1)


def _jpeg(handle: BinaryIO, metadata: ImageMetadata) -> None:
    handle.seek(2)
    for _ in range(MAX_ENTRIES):
        marker = handle.read(2)
        if len(marker) < 2 or marker[0] != 0xFF or marker[1] in (0xD9, 0xDA):
            return  # end of image, start of the scan (the pixels), or not a marker
        if 0xD0 <= marker[1] <= 0xD7 or marker[1] == 0x01:
            continue
        try:
            length = struct.unpack(">H", _read_exactly(handle, 2))[0] - 2
            data = _read_exactly(handle, max(length, 0))
        except _Truncated:
            metadata.problems.append("the file is cut short")
            return
        if marker[1] == 0xE1 and data.startswith(b"Exif\0"):
            _exif(data[6:], metadata)
        elif marker[1] == 0xE1 and data.startswith(b"http://ns.adobe.com/xap/1.0/\0"):
            metadata.add("xmp", data[29:], "utf-8")
        elif marker[1] == 0xFE:
            metadata.add("comment", data, "utf-8")


def _exif(data: bytes, metadata: ImageMetadata) -> None:
    texts, problems = exif_texts(data)
    metadata.problems.extend(problems)
    for key, value in texts.items():
        metadata.text.setdefault(key, value)

_READERS = {"png": _png, "gif": _gif, "webp": _webp, "jpeg": _jpeg}
