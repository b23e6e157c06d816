"""The user's settings file: what the CLI and the window both read (extra models folders, the preview budget).

A small JSON file in the platform's config folder (platformdirs), or in NOISESCOPE_CONFIG_DIR,
or, when only NOISESCOPE_DATA_DIR is set (tests, portable installs), beside the data. Written
atomically, so a crash never leaves half a file. An unreadable or malformed file reads as
empty settings: the caller asks `problems()` to tell the person, instead of failing to start.

    {"models_folders": ["/home/me/stable-diffusion-webui/models/Stable-diffusion",
                        "/home/me/ComfyUI/models/checkpoints"],
     "preview_budget_gb": 2}
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import platformdirs

from engine.atomic import write_atomically
from engine.errors import NoisescopeError
from engine.memory import DEFAULT_PREVIEW_BUDGET, GB
from engine.paths import APP_NAME

CONFIG_NAME = "config.json"
MODELS_FOLDERS = "models_folders"
PREVIEW_BUDGET = "preview_budget_gb"  # GB of step previews a run keeps before thinning them; 0: no limit

_lock = threading.Lock()
_session_folders: list[Path] = []  # --models-folder for this process only (not saved)


def config_path() -> Path:
    override = os.environ.get("NOISESCOPE_CONFIG_DIR")
    if override:
        return Path(override) / CONFIG_NAME
    data = os.environ.get("NOISESCOPE_DATA_DIR")
    if data:
        return Path(data) / CONFIG_NAME
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / CONFIG_NAME


def read_config() -> tuple[dict[str, Any], str | None]:
    """The settings and a problem line (None when the file is fine or absent)."""
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        return {}, f"{path}: cannot read the settings file ({exc.strerror}); using defaults"
    except ValueError as exc:
        return {}, f"{path}: the settings file is not valid JSON ({exc}); using defaults until it is fixed"
    if not isinstance(data, dict):
        return {}, f"{path}: the settings file should hold a JSON object; using defaults"
    return data, None


def saved_models_folders() -> list[Path]:
    value = read_config()[0].get(MODELS_FOLDERS, [])
    if not isinstance(value, list):
        return []
    return [Path(v).expanduser() for v in value if isinstance(v, str) and v.strip()]


def models_folders() -> list[Path]:
    """The saved folders, then this session's --models-folder ones, each once."""
    seen: dict[str, Path] = {}
    with _lock:
        session = list(_session_folders)
    for folder in saved_models_folders() + session:
        seen.setdefault(str(folder), folder)
    return list(seen.values())


def add_session_models_folder(folder: Path) -> None:
    with _lock:
        _session_folders.append(Path(folder).expanduser())


def clear_session_models_folders() -> None:
    with _lock:
        _session_folders.clear()


def save_models_folders(folders: list[Path]) -> Path:
    """Replace the saved list (other settings in the file are kept). Raises NoisescopeError if it
    cannot be written."""
    data, problem = read_config()
    if problem is not None and config_path().exists():
        # Never overwrite a file the person may be editing by hand with our guess of its content.
        raise NoisescopeError(problem.replace("using defaults until it is fixed", "fix or remove it first"))
    data[MODELS_FOLDERS] = [str(Path(f).expanduser()) for f in folders]
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(temporary: Path) -> None:
        temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    write_atomically(path, write)
    return path


def preview_budget() -> int | None:
    """Bytes of step previews one run keeps before only every k-th step is kept (engine/trajectory.py);
    None: no limit. The default when the setting is absent or not a number (problems() says so)."""
    value = read_config()[0].get(PREVIEW_BUDGET)
    if value is None or _budget_problem(value):
        return DEFAULT_PREVIEW_BUDGET
    return int(value * GB) or None


def _budget_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e6:
        return (f"{config_path()}: {PREVIEW_BUDGET} must be a number of GB (0 for no limit), not {value!r}; "
                f"using {DEFAULT_PREVIEW_BUDGET // GB} GB")
    return None


def problems() -> list[str]:
    data, problem = read_config()
    budget = data.get(PREVIEW_BUDGET)
    found = [problem, _budget_problem(budget) if budget is not None else None]
    return [line for line in found if line]
