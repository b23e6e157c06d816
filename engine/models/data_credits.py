"""The credit the bundled models' training data asks for, read from each model's config.json (Help > About).

Each bundled model records what it was trained on in config["data"]["attribution"]; listing those
instead of a hand-written paragraph means a newly bundled model's data is credited without anyone
remembering to edit the About box.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.paths import bundled_models_dir


@dataclass(frozen=True)
class DataCredit:
    attribution: str  # as the model's config words it (may hold a URL)
    models: tuple[str, ...]  # the bundled models trained on that data


def bundled_data_credits(folder: Path | None = None) -> list[DataCredit]:
    """One credit per distinct attribution, with the models that carry it, in model-name order. A config
    that cannot be read is skipped: the About box must open whatever state assets/ is in."""
    models: dict[str, list[str]] = {}
    for path in sorted((folder or bundled_models_dir()).glob("*/config.json")):
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        data = config.get("data") if isinstance(config, dict) else None
        attribution = data.get("attribution") if isinstance(data, dict) else None
        if isinstance(attribution, str) and attribution.strip():
            name = config.get("name")
            models.setdefault(attribution.strip(), []).append(name if isinstance(name, str) else path.parent.name)
    return [DataCredit(attribution, tuple(names)) for attribution, names in models.items()]
