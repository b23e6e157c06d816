"""The envelope of Noisescope's versioned JSON documents (a comparison, an interpolation): parse the text,
check it is the document asked for and of a version this Noisescope reads. Torch-free."""

from __future__ import annotations

import json
from typing import Any


def read_versioned_document(text: str, key: str, version: int, what: str, error: type[Exception]) -> dict[str, Any]:
    """The parsed document whose `key` holds `version`; `error` naming what is wrong with a damaged, foreign
    or newer one (`what`: "comparison", "interpolation")."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise error(f"the {what} metadata is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or key not in data:
        raise error(f"the metadata is not {'an' if what[0] in 'aeiou' else 'a'} {what}")
    found = data[key]
    if found != version or isinstance(found, bool):
        newer = isinstance(found, int) and not isinstance(found, bool) and found > version
        raise error(f"{what} format {found!r} is not supported (this Noisescope reads {version})"
                    + ("; a newer Noisescope wrote it: update Noisescope to read it" if newer else ""))
    return data
