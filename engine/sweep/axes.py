"""A sweep's axes, parsed from `FIELD=VALUE,VALUE,...` (AUTOMATIC1111's X/Y/Z plot input).

Any field of the recipe table that has a flag can be an axis; it is named by its attribute
(`steps`, `variation_strength`), its flag (`variation-seed`, `label`), its label or its A1111
key (`Schedule type`, `CFG scale`), case-insensitively. `prompt` sweeps the text prompt and
`label` the class label, both the conditioning. Each value is read by its row's own `from_text`,
so a sweep accepts what the `generate` flag accepts and says the same when it does not.
Values are comma-separated, with double quotes around a value that holds a comma (CSV, as
A1111 reads them); a number field also takes a range: `1-4`, `1-10 (+3)`, `0-1 [5]`.
Torch-free: the window parses its axes with it.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from typing import Any

from engine.conditioning import ClassLabel, TextPrompt
from engine.errors import InvalidRecipe
from engine.recipe_fields import FIELDS, FLOAT, INT, RecipeField

AXIS_NAMES = ("x", "y", "z")
MAX_AXIS_VALUES = 1000  # a range past this is a typo (seed=1-100000000), not a sweep
NOT_SWEPT = {"batch": "every cell has the same batch; set it with --batch"}
_NUMBER = r"\d+(?:\.\d*)?|\.\d+"
_RANGE = re.compile(rf"^({_NUMBER})\s*-\s*({_NUMBER})(?:\s*\(\s*\+\s*({_NUMBER})\s*\)|\s*\[\s*(\d+)\s*\])?$")


@dataclass(frozen=True)
class Axis:
    """One axis: the field it changes and its values, as the Recipe holds them."""

    name: str  # "x", "y" or "z"
    field: str  # the Recipe attribute ("conditioning" for label and prompt)
    key: str  # what the axis changes, for people and files: "steps", "label", "prompt"
    values: tuple[Any, ...]

    @property
    def row(self) -> RecipeField:
        return next(row for row in FIELDS if row.name == self.field)

    @property
    def title(self) -> str:
        return {"label": "Label", "prompt": "Prompt"}.get(self.key, self.row.label)

    def value_text(self, value: Any) -> str:
        """One value as the grid shows it: `DPM++ 2M`, `7`, `a cat`."""
        if isinstance(value, ClassLabel):
            return value.label
        if isinstance(value, TextPrompt):
            return value.prompt
        if self.field in ("model", "guide_model") and value is not None:  # a folder: its name
            return str(value).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
        return self.row.to_text(value)

    def labels(self) -> list[str]:
        """`Steps: 10` for each value, as A1111's grid writes its axis labels."""
        return [f"{self.title}: {self.value_text(value)}" for value in self.values]

    def texts(self) -> list[str]:
        """Each value as it would be typed again (for the sweep's description in files)."""
        return [self.value_text(value) if self.field in ("conditioning", "model") else self.row.to_text(value)
                for value in self.values]


def _names() -> dict[str, tuple[str, RecipeField]]:
    """Every name an axis may use -> (its key, its row)."""
    names: dict[str, tuple[str, RecipeField]] = {}
    for row in FIELDS:
        if not row.cli_flag or row.name in NOT_SWEPT:
            continue
        key = "label" if row.name == "conditioning" else row.name
        for name in (row.name, row.cli_flag.lstrip("-"), row.label, row.a1111_key or "", *row.a1111_aliases):
            if name:
                names[_normal(name)] = (key, row)
    conditioning = next(row for row in FIELDS if row.name == "conditioning")
    names["prompt"] = ("prompt", conditioning)
    names["cfg"] = names["guidance"]
    return names


def _normal(name: str) -> str:
    return re.sub(r"[\s_-]+", "_", name.strip().lower())


def sweepable_fields() -> list[str]:
    """The names a person is told about: one per field (label and prompt for the conditioning)."""
    return list(dict.fromkeys(key for key, _ in _names().values()))  # _names() has "prompt" already


def parse_axis(text: str, name: str = "x") -> Axis:
    """`steps=5,10,20` -> Axis; InvalidRecipe naming the axis and what to write instead."""
    where = f"--{name} {text!r}"
    field_name, equals, values_text = text.partition("=")
    if not equals or not field_name.strip():
        raise InvalidRecipe(f"{where}: write FIELD=VALUES, for example steps=10,20,30 or sampler=DDIM,Euler")
    names = _names()
    found = names.get(_normal(field_name))
    if found is None:
        if _normal(field_name) in NOT_SWEPT:
            raise InvalidRecipe(f"{where}: {field_name.strip()} cannot be swept: {NOT_SWEPT[_normal(field_name)]}")
        close = difflib.get_close_matches(_normal(field_name), list(names), n=1)
        hint = f"did you mean {names[close[0]][0]}? " if close else ""
        raise InvalidRecipe(f"{where}: no recipe field {field_name.strip()!r}; {hint}fields that can be swept: "
                            f"{', '.join(sweepable_fields())}")
    key, row = found
    items = [item.strip() for item in next(csv.reader([values_text], skipinitialspace=True), [])]
    items = [item for item in items if item]
    if not items:
        raise InvalidRecipe(f"{where}: no values after '='; list them separated by commas, for example "
                            f"{key}={_example(row)}")
    values: list[Any] = []
    for item in items:
        try:
            values.extend(_values(key, row, item))
        except InvalidRecipe as exc:
            raise InvalidRecipe(f"{where}: {exc.message}") from None
        if len(values) > MAX_AXIS_VALUES:
            raise InvalidRecipe(f"{where}: more than {MAX_AXIS_VALUES} values; sweep a smaller range")
    return Axis(name, row.name, key, tuple(values))


def _values(key: str, row: RecipeField, item: str) -> list[Any]:
    if key == "label":
        return [ClassLabel(item)]
    if key == "prompt":
        return [TextPrompt(item)]  # the base recipe's negative prompt is added by the plan
    match = _RANGE.match(item) if row.kind in (INT, FLOAT) else None
    if match is None:
        return [row.from_text(item)]
    return [row.check(value) for value in _range(row, *match.groups())]


def _range(row: RecipeField, start_text: str, end_text: str, step_text: str | None,
           count_text: str | None) -> list[Any]:
    """A1111's ranges: `1-4` every whole number, `1-10 (+3)` in steps, `0-1 [5]` that many, evenly."""
    number = int if row.kind == INT else float
    try:
        start, end = number(start_text), number(end_text)
        step = number(step_text) if step_text else None
    except ValueError:
        raise InvalidRecipe(f"{row.name} must be a whole number in a range, not {start_text}-{end_text}") from None
    if count_text is not None:
        count = int(count_text)
        if not 1 <= count <= MAX_AXIS_VALUES:
            raise InvalidRecipe(f"a range's count must be between 1 and {MAX_AXIS_VALUES}, not {count}")
        if count == 1:
            return [start]
        values = [start + (end - start) * i / (count - 1) for i in range(count)]
        return list(dict.fromkeys(round(v) if row.kind == INT else round(v, 6) for v in values))
    step = step if step is not None else 1
    if step <= 0:
        raise InvalidRecipe(f"a range's step must be above 0, not {step:g}")
    if end < start:
        raise InvalidRecipe(f"a range goes up: write {end_text}-{start_text}, not {start_text}-{end_text}")
    if (end - start) / step >= MAX_AXIS_VALUES:
        raise InvalidRecipe(f"the range {start_text}-{end_text} gives more than {MAX_AXIS_VALUES} values")
    values = []
    at = 0
    while start + at * step <= end + (1e-9 if row.kind == FLOAT else 0):
        values.append(start + at * step if row.kind == INT else round(start + at * step, 6))
        at += 1
    return values


def _example(row: RecipeField) -> str:
    return {INT: "10,20,30", FLOAT: "1.5,3,7.5"}.get(row.kind, "A,B")


def check_distinct(axes: list[Axis]) -> None:
    """InvalidRecipe when two axes change the same field (label and prompt are both the conditioning)."""
    seen: dict[str, Axis] = {}
    for axis in axes:
        if axis.field in seen:
            first = seen[axis.field]
            raise InvalidRecipe(f"--{first.name} and --{axis.name} both sweep {axis.row.label.lower()}; sweep each "
                                "field on one axis, and list all its values there")
        seen[axis.field] = axis
