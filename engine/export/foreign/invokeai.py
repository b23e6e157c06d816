"""InvokeAI's PNG metadata: the `invokeai_metadata` chunk (InvokeAI 3 and later), flat JSON
with positive_prompt, negative_prompt, width, height, seed, steps, cfg_scale, scheduler
("dpmpp_2m_k" is DPM++ 2M with the Karras schedule) and model (an object with its name).
InvokeAI 2's `sd-metadata` chunk is named as known but not read."""

from __future__ import annotations

from engine.errors import ExportError
from engine.export.a1111 import RestoredRecipe
from engine.export.foreign.common import Collector, load_json

USED = {"positive_prompt", "negative_prompt", "width", "height", "seed", "steps", "cfg_scale", "scheduler", "model"}


def invokeai_recipe(text: dict[str, str]) -> RestoredRecipe | None:
    if "invokeai_metadata" not in text:
        if "sd-metadata" in text or "Dream" in text:
            raise ExportError("written by InvokeAI 2 (its `sd-metadata` chunk), a format Noisescope does not "
                              "read; open it in InvokeAI 3 or later and save it again")
        return None
    data = load_json(text["invokeai_metadata"])
    if not isinstance(data, dict):
        raise ExportError("written by InvokeAI, but its `invokeai_metadata` is not readable JSON")
    found = Collector("invokeai")
    found.prompt(data.get("positive_prompt"), data.get("negative_prompt"))
    found.size(data.get("width"), data.get("height"))
    found.take("seed", data.get("seed"), "seed")
    found.take("steps", data.get("steps"), "steps")
    found.take("guidance", data.get("cfg_scale"), "cfg_scale")
    found.sampler(data.get("scheduler"), key="scheduler")
    model = data.get("model")
    if isinstance(model, dict):
        found.model(model.get("name") or model.get("model_name"))
    else:
        found.model(model)
    found.rest(data, USED)
    return found.result()
