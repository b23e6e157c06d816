"""Reading recipe dicts written by older releases: each version's dict turned into the next.

Version 1 (Noisescope up to 672d349): `label` (str or null) instead of `conditioning`, and
`guidance` always a number: 3.0, the default, also stood for "unset" on runs without a label
(where guidance does nothing). Version 2 writes the conditioning as `{"kind": ...}` and None
for "the model's default guidance". Version 3 adds `guide_model` (autoguidance), where a missing
one means "the model's default guide": a version 2 recipe ran with none, so it reads as "none" and
remakes its image. To change the recipe's shape again, bump RECIPE_VERSION,
add a `_from_vN` step here and keep a file written by the old release in tests/fixtures/.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import InvalidRecipe

RECIPE_VERSION = 3
VERSION_KEY = "noisescope_recipe"
V1_DEFAULT_GUIDANCE = 3.0


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    label = data.pop("label", None)
    data["conditioning"] = {"kind": "none"} if label is None else {"kind": "class", "label": label}
    if label is None and data.get("guidance") == V1_DEFAULT_GUIDANCE:
        data["guidance"] = None  # it only ever meant "unset" here
    return data


def _from_v2(data: dict[str, Any]) -> dict[str, Any]:
    data.setdefault("guide_model", "none")  # written before autoguidance: it ran unguided by a model
    return data


_STEPS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_v1, 2: _from_v2}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """The fields of a recipe dict of any version this release reads, as the current version's,
    without the version key; InvalidRecipe for a version it cannot read."""
    data = dict(data)
    version = data.pop(VERSION_KEY, None)
    if version is None:  # a bare dict (a script's): guess from its shape
        version = 1 if "label" in data else RECIPE_VERSION
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= RECIPE_VERSION:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > RECIPE_VERSION
        hint = "; a newer Noisescope wrote it: update Noisescope to read it" if newer else ""
        raise InvalidRecipe(f"recipe version {version!r} is not supported (this Noisescope reads 1 to "
                            f"{RECIPE_VERSION}){hint}")
    while version < RECIPE_VERSION:
        data = _STEPS[version](data)
        version += 1
    return data
