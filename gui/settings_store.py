"""What survives a restart: the last recipe and the window layout (QSettings).

The recipe is saved as the form's fields (names from the field table), and read back field by
field: a value of the wrong kind is dropped, a field an older release did not save keeps its
default, so settings written by any release load. Tests pass their own QSettings (an ini file
in a temp folder), so they never touch the person's settings.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from engine.recipe_fields import CHOICE, CONDITIONING, FLOAT, INT, MODEL, TEXT
from gui.recipe_form import WINDOW_ONLY, FormFields, form_name, form_rows

RECIPE_KEY = "recipe/fields"
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
LAYOUT_VERSION = 1


def _fits(kind: str, value: Any, optional: bool) -> bool:
    if value is None:
        return optional
    if isinstance(value, bool):
        return False
    if kind == INT:
        return isinstance(value, int)
    if kind == FLOAT:
        return isinstance(value, (int, float))
    return kind in (CHOICE, MODEL, TEXT) and isinstance(value, str)


class SettingsStore:
    def __init__(self, settings: QSettings | None = None):
        self.settings = settings if settings is not None else QSettings("Noisescope", "Noisescope")

    def save_fields(self, values: FormFields) -> None:
        self.settings.setValue(RECIPE_KEY, json.dumps(values.as_dict()))

    def load_fields(self) -> dict:
        """The saved fields that are still known and of the right kind; {} if none."""
        try:
            saved = json.loads(str(self.settings.value(RECIPE_KEY, "{}")))
        except (TypeError, ValueError):
            return {}
        if not isinstance(saved, dict):
            return {}
        clean: dict[str, Any] = {}
        for row in form_rows():
            name = form_name(row)
            if name not in saved:
                continue
            value = saved[name]
            if row.kind == CONDITIONING:  # saved as the class name
                if value is None or isinstance(value, str):
                    clean[name] = value
            elif _fits(row.kind, value, row.optional):
                clean[name] = float(value) if row.kind == FLOAT and value is not None else value
        for name, default in WINDOW_ONLY.items():
            if isinstance(saved.get(name), type(default)):
                clean[name] = saved[name]
        return clean

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.settings.setValue(GEOMETRY_KEY, geometry)
        self.settings.setValue(STATE_KEY, state)

    def load_window(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry, state = self.settings.value(GEOMETRY_KEY), self.settings.value(STATE_KEY)
        return (geometry if isinstance(geometry, QByteArray) else None,
                state if isinstance(state, QByteArray) else None)

    def sync(self) -> None:
        self.settings.sync()
