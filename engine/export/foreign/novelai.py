"""NovelAI's PNG metadata: `Software` "NovelAI", the prompt in `Description`, and the settings as
JSON in `Comment` (prompt, uc = the negative prompt, steps, scale, seed, width, height, n_samples,
sampler "k_euler_ancestral", noise_schedule)."""

from __future__ import annotations

from engine.errors import ExportError
from engine.export.a1111 import RestoredRecipe
from engine.export.foreign.common import Collector, load_json

USED = {"prompt", "uc", "steps", "scale", "seed", "width", "height", "n_samples", "sampler", "noise_schedule"}


def novelai_recipe(text: dict[str, str]) -> RestoredRecipe | None:
    if "NovelAI" not in text.get("Software", "") and "NovelAI" not in text.get("Source", ""):
        return None
    data = load_json(text.get("Comment"))
    if not isinstance(data, dict):
        raise ExportError("written by NovelAI, but its `Comment` settings are missing or not readable JSON")
    found = Collector("novelai")
    found.prompt(data.get("prompt") or text.get("Description"), data.get("uc"))
    found.size(data.get("width"), data.get("height"))
    found.take("seed", data.get("seed"), "seed")
    found.take("steps", data.get("steps"), "steps")
    found.take("guidance", data.get("scale"), "scale")
    found.take("batch", data.get("n_samples"), "n_samples")
    found.sampler(data.get("sampler"), data.get("noise_schedule"), "sampler", "noise_schedule")
    found.rest(data, USED)
    return found.result()
