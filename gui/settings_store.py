"""What survives a restart: the last recipe and the window layout (QSettings).

Tests pass their own QSettings (an ini file in a temp folder), so they never touch the
person's settings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from PySide6.QtCore import QByteArray, QSettings

from gui.view_model import Fields

RECIPE_KEY = "recipe/fields"
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
LAYOUT_VERSION = 1


class SettingsStore:
    def __init__(self, settings: QSettings | None = None):
        self.settings = settings if settings is not None else QSettings("Noisescope", "Noisescope")

    def save_fields(self, values: Fields) -> None:
        self.settings.setValue(RECIPE_KEY, json.dumps(asdict(values)))

    def load_fields(self) -> dict:
        """The saved fields that are still known and of the right type; {} if none."""
        try:
            saved = json.loads(str(self.settings.value(RECIPE_KEY, "{}")))
        except (TypeError, ValueError):
            return {}
        if not isinstance(saved, dict):
            return {}
        defaults = Fields()
        clean = {}
        for field in fields(Fields):
            if field.name not in saved:
                continue
            value, default = saved[field.name], getattr(defaults, field.name)
            if field.name == "label":
                if value is None or isinstance(value, str):
                    clean["label"] = value
            elif isinstance(default, bool):
                if isinstance(value, bool):
                    clean[field.name] = value
            elif isinstance(default, float):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    clean[field.name] = float(value)
            elif type(value) is type(default):
                clean[field.name] = value
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
