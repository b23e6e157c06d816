"""The recipe in an XMP packet (WebP, AVIF): one attribute in a namespace of our own."""

from __future__ import annotations

from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

XMP_NAMESPACE = "urn:noisescope:1"


def xmp_packet(recipe_json: str, comparison_json: str | None = None, *, documents: dict[str, str] | None = None) -> bytes:
    """A minimal XMP packet with the recipe JSON as one attribute (and a comparison's document
    as another: engine/compare/metadata.py; `documents`: more attributes, name -> text, such as
    an interpolation's)."""
    comparison = "" if comparison_json is None else f" noisescope:comparison={quoteattr(comparison_json)}"
    comparison += "".join(f" noisescope:{name}={quoteattr(text)}" for name, text in (documents or {}).items())
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:noisescope="{XMP_NAMESPACE}" noisescope:recipe={quoteattr(recipe_json)}{comparison}/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def xmp_recipe(xmp: bytes | str | None) -> str | None:
    return xmp_value(xmp, "recipe")


def xmp_value(xmp: bytes | str | None, name: str) -> str | None:
    """The text of our attribute `name` (`recipe`, `comparison`) in a packet xmp_packet wrote,
    also after another tool rewrote the packet (an `<?xpacket?>` wrapper, other namespaces, pretty-printing, or the attribute turned into a
    `<noisescope:recipe>` element, as exiftool and Adobe's XMP toolkit may write it); None for
    any other or broken packet. A DOCTYPE is refused unread: XMP has none, and entity
    definitions are how XML bombs expand."""
    if not xmp:
        return None
    text = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else xmp
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return None
    try:
        root = ElementTree.fromstring(text.strip().lstrip("\ufeff"))
    except (ElementTree.ParseError, ValueError):
        return None
    name = f"{{{XMP_NAMESPACE}}}{name}"
    for element in root.iter():
        value = element.get(name) or (element.text if element.tag == name else None)
        if value and value.strip():
            return value.strip()
    return None
