"""Where Noisescope keeps things: bundled assets, the user's models, data and pictures.

NOISESCOPE_DATA_DIR overrides the per-user data folder (tests and portable installs use it).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Noisescope"


def assets_dir() -> Path:
    return Path(os.environ.get("NOISESCOPE_ASSETS", Path(__file__).resolve().parent.parent / "assets"))


def bundled_models_dir() -> Path:
    return assets_dir() / "models"


def user_data_dir() -> Path:
    override = os.environ.get("NOISESCOPE_DATA_DIR")
    return Path(override) if override else platformdirs.user_data_path(APP_NAME, appauthor=False)


def user_models_dir() -> Path:
    return user_data_dir() / "models"


def default_output_dir() -> Path:
    override = os.environ.get("NOISESCOPE_DATA_DIR")
    if override:
        return Path(override) / "pictures"
    return platformdirs.user_pictures_path() / APP_NAME
