"""The recipe in an XMP packet (WebP, AVIF): one attribute in a namespace of our own."""

from __future__ import annotations

from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

XMP_NAMESPACE = "urn:noisescope:1"


def xmp_packet(recipe_json: str) -> bytes:
    """A minimal XMP packet with the recipe JSON as one attribute."""
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:noisescope="{XMP_NAMESPACE}" noisescope:recipe={quoteattr(recipe_json)}/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def xmp_recipe(xmp: bytes | str | None) -> str | None:
    """The recipe JSON in a packet xmp_packet wrote; None for any other (or broken) packet."""
    if not xmp:
        return None
    try:
        root = ElementTree.fromstring(xmp)
    except ElementTree.ParseError:
        return None
    for element in root.iter():
        value = element.get(f"{{{XMP_NAMESPACE}}}recipe")
        if value:
            return value
    return None
