"""The sweep's axes as a person picks them: for X, Y and Z a field of the recipe table and its
values, typed as A1111's X/Y/Z plot takes them (`5, 10, 20`, `1-4`, `DDIM, Euler a`).

The fields offered are the sweepable ones (engine.sweep.axes) that apply to the form's model;
each is parsed by the engine (parse_axis), so a value that does not parse gets the engine's own
message, named by its axis ("Y: ..."), not the CLI's flag.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QWidget

from engine.errors import InvalidRecipe
from engine.recipe_fields import FIELDS, FLOAT, INT
from engine.sweep.axes import AXIS_NAMES, Axis, parse_axis, sweepable_fields

NONE = ""
ROLE = {"x": "X · columns", "y": "Y · rows", "z": "Z · one grid each"}
EXAMPLES = {"seed": "1-4", "steps": "10, 20, 30", "guidance": "1-7 [4]", "sampler": "DDIM, Euler a",
            "schedule": "default, Karras", "label": "3, 7", "prompt": '"a cat, sitting", a dog',
            "eta": "0, 0.5, 1", "variation_strength": "0, 0.25, 0.5"}


class MissingValues(InvalidRecipe):
    """An axis with a field and no values yet: a prompt to type them, not a mistake."""


def field_title(key: str) -> str:
    if key in ("label", "prompt"):
        return key.capitalize()
    return next((row.label for row in FIELDS if row.name == key), key)


def example(key: str) -> str:
    if key in EXAMPLES:
        return EXAMPLES[key]
    row = next((row for row in FIELDS if row.name == key), None)
    return {INT: "10, 20, 30", FLOAT: "0.5, 1, 2"}.get(row.kind if row else "", "A, B")


class AxesEditor(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.fields: dict[str, QComboBox] = {}
        self.values: dict[str, QLineEdit] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for row, name in enumerate(AXIS_NAMES):
            combo = QComboBox(objectName=f"sweepField{name.upper()}")
            combo.setToolTip(f"The field the {ROLE[name].split(' · ')[1]} change")
            edit = QLineEdit(objectName=f"sweepValues{name.upper()}")
            edit.setToolTip("Values separated by commas; quote one that holds a comma. Numbers also take ranges: "
                            "1-4, 10-50 (+10), 1-7 [4] (4 values, evenly)")
            combo.currentIndexChanged.connect(lambda _, n=name: self._field_changed(n))
            edit.textChanged.connect(self.changed)
            self.fields[name], self.values[name] = combo, edit
            title = QLabel(ROLE[name], objectName="caption")
            grid.addWidget(title, row * 2, 0)
            grid.addWidget(combo, row * 2, 1)
            grid.addWidget(edit, row * 2 + 1, 0, 1, 2)  # values get the full width: prompts are long
            grid.setRowMinimumHeight(row * 2 + 1, 0)
        grid.setColumnStretch(1, 1)
        grid.setVerticalSpacing(4)
        self.set_fields(sweepable_fields())

    def set_fields(self, keys: list[str]) -> None:
        """Offer these fields (the ones that apply to the model); a chosen field stays if still offered."""
        for name, combo in self.fields.items():
            chosen = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            if name != "x":
                combo.addItem("—", NONE)
            for key in keys:
                combo.addItem(field_title(key), key)
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.blockSignals(False)
            self._field_changed(name, quiet=True)
        self.changed.emit()

    def set_axis(self, name: str, key: str, values: str) -> None:
        combo = self.fields[name]
        combo.setCurrentIndex(combo.findData(key))
        self.values[name].setText(values)

    def axes(self) -> list[Axis]:
        """The axes given (X first), parsed; InvalidRecipe naming the axis and what to write instead."""
        axes: list[Axis] = []
        for name in AXIS_NAMES:
            key, text = self.fields[name].currentData(), self.values[name].text().strip()
            if not key:
                continue
            if not text:
                raise MissingValues(f"{name.upper()}: type the {field_title(key).lower()} values, for example "
                                    f"{example(key)}")
            if name == "z" and not self.fields["y"].currentData():
                raise InvalidRecipe("Z makes one X/Y grid per value: choose a Y axis first")
            spelled = f"{key}={text}"
            try:
                axes.append(parse_axis(spelled, name))
            except InvalidRecipe as exc:  # the engine names the CLI flag; here the axis is named
                raise InvalidRecipe(f"{name.upper()}: {exc.message.removeprefix(f'--{name} {spelled!r}: ')}") from None
        return axes

    def _field_changed(self, name: str, quiet: bool = False) -> None:
        key = self.fields[name].currentData()
        edit = self.values[name]
        edit.setVisible(bool(key))  # an axis not swept takes no room
        edit.setPlaceholderText(f"e.g. {example(key)}" if key else "not swept")
        if not quiet:
            self.changed.emit()
