"""Fooocus's and SwarmUI's JSON metadata (both in the `parameters` PNG chunk or the EXIF
UserComment, where A1111 keeps its text).

Fooocus: flat JSON (prompt, negative_prompt, resolution "(1152, 896)", guidance_scale, seed as a
string, steps, sampler, scheduler, base_model), with `fooocus_scheme` or a "Fooocus" version.
SwarmUI: {"sui_image_params": {prompt, negativeprompt, seed, steps, cfgscale, width, height,
sampler, scheduler, model}}."""

from __future__ import annotations

import re
from typing import Any

from engine.export.a1111 import RestoredRecipe
from engine.export.foreign.common import Collector, load_json

FOOOCUS_USED = {"prompt", "negative_prompt", "resolution", "guidance_scale", "seed", "steps", "sampler",
                "scheduler", "base_model"}
SWARM_USED = {"prompt", "negativeprompt", "seed", "steps", "cfgscale", "width", "height", "sampler", "scheduler",
              "model", "images"}


def json_parameters(text: dict[str, str]) -> Any:
    for key in ("parameters", "exif:UserComment"):
        data = load_json(text.get(key))
        if isinstance(data, dict):
            return data
    return None


def fooocus_recipe(text: dict[str, str]) -> RestoredRecipe | None:
    data = json_parameters(text)
    if not isinstance(data, dict) or not ("fooocus_scheme" in text or "Fooocus" in str(data.get("version", ""))
                                          or {"guidance_scale", "base_model"} <= set(data)):
        return None
    found = Collector("fooocus")
    found.prompt(data.get("prompt"), data.get("negative_prompt"))
    size = re.fullmatch(r"\(?\s*(\d{1,6})\s*[,x]\s*(\d{1,6})\s*\)?", str(data.get("resolution", "")))
    if size:
        found.size(size.group(1), size.group(2))
    found.take("guidance", data.get("guidance_scale"), "guidance_scale")
    found.take("seed", data.get("seed"), "seed")
    found.take("steps", data.get("steps"), "steps")
    found.sampler(data.get("sampler"), data.get("scheduler"))
    found.model(data.get("base_model"), "base_model")
    found.rest(data, FOOOCUS_USED)
    return found.result()


def swarmui_recipe(text: dict[str, str]) -> RestoredRecipe | None:
    data = json_parameters(text)
    params = data.get("sui_image_params") if isinstance(data, dict) else None
    if not isinstance(params, dict):
        return None
    found = Collector("swarmui")
    found.prompt(params.get("prompt"), params.get("negativeprompt"))
    found.size(params.get("width"), params.get("height"))
    found.take("seed", params.get("seed"), "seed")
    found.take("steps", params.get("steps"), "steps")
    found.take("guidance", params.get("cfgscale"), "cfgscale")
    found.sampler(params.get("sampler"), params.get("scheduler"))
    found.model(params.get("model"))
    found.rest(params, SWARM_USED)
    return found.result()
