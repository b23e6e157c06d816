"""The text fields of an EXIF block (a TIFF structure), for JPEG and WebP files from other tools.

AUTOMATIC1111, Forge and SD.Next put their `parameters` text in the Exif UserComment
(tag 0x9286): an 8-byte character-code prefix (`UNICODE\\0`, `ASCII\\0\\0\\0`) and the text,
UTF-16 for UNICODE (big-endian as piexif writes it; little-endian from some tools: told apart by
where the zero bytes of ASCII characters fall). Others use ImageDescription (0x010E) or
Windows' XPComment (0x9C9C, UTF-16LE). Bounded: offsets are checked against the block, the
walk visits at most two IFDs of at most 1,000 entries.
"""

from __future__ import annotations

import struct

USER_COMMENT, IMAGE_DESCRIPTION, XP_COMMENT, EXIF_IFD, MAKE = 0x9286, 0x010E, 0x9C9C, 0x8769, 0x010F
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}
_NAMES = {USER_COMMENT: "exif:UserComment", IMAGE_DESCRIPTION: "exif:ImageDescription",
          XP_COMMENT: "exif:XPComment", MAKE: "exif:Make"}


def exif_texts(data: bytes) -> tuple[dict[str, str], list[str]]:
    """(texts by "exif:Name", problems) of a TIFF-structured EXIF block ("Exif\\0\\0" allowed first)."""
    if data.startswith(b"Exif\0"):
        data = data[6:]
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or len(data) < 8:
        return {}, ["its EXIF block is not readable"]
    texts: dict[str, str] = {}
    problems: list[str] = []
    raw = _ifd(data, order, struct.unpack(order + "I", data[4:8])[0])
    if EXIF_IFD in raw and len(raw[EXIF_IFD]) >= 4:
        raw.update(_ifd(data, order, struct.unpack(order + "I", raw[EXIF_IFD][:4])[0]))
    for tag, name in _NAMES.items():
        if tag in raw:
            value = _text(tag, raw[tag], order)
            if value is None:
                problems.append(f"its {name} is not readable text")
            elif value.strip("\0 "):
                texts[name] = value.rstrip("\0")
    return texts, problems


def _ifd(data: bytes, order: str, offset: int) -> dict[int, bytes]:
    """tag -> the value's bytes, for the entries of one IFD (broken entries left out)."""
    if not 8 <= offset <= len(data) - 2:
        return {}
    count = min(struct.unpack(order + "H", data[offset:offset + 2])[0], 1000)
    entries: dict[int, bytes] = {}
    for i in range(count):
        at = offset + 2 + 12 * i
        if at + 12 > len(data):
            break
        tag, kind, number = struct.unpack(order + "HHI", data[at:at + 8])
        size = _TYPE_SIZES.get(kind, 1) * number
        if size <= 4:
            entries[tag] = data[at + 8:at + 8 + size]
            continue
        start = struct.unpack(order + "I", data[at + 8:at + 12])[0]
        if start + size <= len(data):
            entries[tag] = data[start:start + size]
    return entries


def _text(tag: int, value: bytes, order: str) -> str | None:
    try:
        if tag == XP_COMMENT:
            return value.decode("utf-16-le")
        if tag != USER_COMMENT:
            return value.decode("utf-8")
        prefix, body = value[:8], value[8:]
        if prefix.startswith(b"UNICODE"):
            return _utf16(body, order)
        if prefix.startswith(b"ASCII") or prefix == b"\0" * 8:
            return body.decode("utf-8")
        return value.decode("utf-8")  # no prefix at all: some tools write the text alone
    except UnicodeDecodeError:
        return None


def _utf16(body: bytes, order: str) -> str:
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body.decode("utf-16")
    # ASCII text in UTF-16 has its zero byte first (big-endian) or second (little-endian).
    even_zeros = body[0:200:2].count(0)
    odd_zeros = body[1:200:2].count(0)
    if even_zeros != odd_zeros:
        return body.decode("utf-16-be" if even_zeros > odd_zeros else "utf-16-le")
    return body.decode("utf-16-be" if order == ">" else "utf-16-le")
