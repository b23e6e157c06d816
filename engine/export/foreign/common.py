"""What the readers of other tools' metadata share: bounded JSON, and one collector that turns
their values into recipe fields (the field table checks each one), lists the rest, and maps
their sampler and scheduler names onto ours."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

from engine import recipe_fields
from engine.conditioning import TextPrompt
from engine.errors import InvalidRecipe
from engine.export.a1111 import RestoredRecipe, reconcile_schedule

MAX_VALUE_TEXT = 200  # an unrestored value is shown this long at most

# Their sampler names (ComfyUI's, InvokeAI's, NovelAI's `k_` ones, Fooocus's `_gpu` ones) -> ours.
SAMPLERS = {"euler": "euler", "euler_ancestral": "euler_a", "euler_a": "euler_a", "heun": "heun",
            "dpmpp_2m": "dpmpp_2m", "ddim": "ddim", "ddpm": "ddpm", "uni_pc": "unipc", "uni_pc_bh2": "unipc",
            "unipc": "unipc"}
SCHEDULERS = {"normal": "default", "native": "default", "default": "default", "karras": "karras",
              "exponential": "exponential"}


def load_json(text: str | None) -> Any:
    """The JSON value, or None for text that is not JSON, too deep, or holds unreadable numbers."""
    if not text or text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError; so is a 5,000-digit int
        return None


def short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= MAX_VALUE_TEXT else text[:MAX_VALUE_TEXT] + "…"


class Collector:
    """Fields restored from one file, and what was left behind."""

    def __init__(self, source: str):
        self.source = source
        self.fields: dict[str, Any] = {}
        self.unmapped: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.model_hash: str | None = None

    def take(self, name: str, value: Any, key: str) -> None:
        """A recipe field from their value (None: absent); listed as not restored if it does not fit."""
        if value is None or isinstance(value, (dict, list, bool)):
            if value is not None:
                self.unmapped.append((key, short(value)))
            return
        try:
            self.fields[name] = recipe_fields.field(name).from_text(str(value))
        except (InvalidRecipe, ValueError):
            self.unmapped.append((key, short(value)))

    def prompt(self, prompt: Any, negative: Any = "") -> None:
        negative = negative if isinstance(negative, str) else ""
        if not isinstance(prompt, str) or not prompt.strip():
            if negative:
                self.unmapped.append(("negative prompt", short(negative)))
            return
        try:
            self.fields["conditioning"] = TextPrompt(prompt, negative)
        except InvalidRecipe:
            self.unmapped.append(("prompt", short(prompt)))

    def size(self, width: Any, height: Any) -> None:
        self.take("width", width, "width")
        self.take("height", height, "height")

    def model(self, name: Any, key: str = "model") -> None:
        """A checkpoint's file name as our model name (its stem): found if the catalog has it."""
        if isinstance(name, str) and name.strip():
            self.take("model", PurePath(name.replace("\\", "/")).stem if name.endswith(
                (".safetensors", ".ckpt", ".pt", ".bin")) else name, key)

    def sampler(self, name: Any, scheduler: Any = None, key: str = "sampler", scheduler_key: str = "scheduler") -> None:
        if isinstance(name, str) and name:
            wanted = name.lower().removeprefix("k_").removesuffix("_gpu")
            if wanted.endswith("_k") and wanted[:-2] in SAMPLERS:  # InvokeAI: "dpmpp_2m_k" is DPM++ 2M Karras
                wanted, scheduler = wanted[:-2], "karras"
            if wanted in SAMPLERS:
                self.fields["sampler"] = SAMPLERS[wanted]
            else:
                self.unmapped.append((key, short(name)))
                self.notes.append(f"sampler {name!r} has no equivalent here; the current sampler is kept")
        if isinstance(scheduler, str) and scheduler:
            if scheduler.lower() in SCHEDULERS:
                self.fields["schedule"] = SCHEDULERS[scheduler.lower()]
            else:
                self.unmapped.append((scheduler_key, short(scheduler)))
        elif scheduler is not None:
            self.unmapped.append((scheduler_key, short(scheduler)))

    def rest(self, data: dict[str, Any], used: set[str]) -> None:
        """Every other key of theirs, listed as not restored."""
        for key, value in data.items():
            if key not in used and value not in (None, "", [], {}):
                self.unmapped.append((str(key), short(value)))

    def result(self) -> RestoredRecipe:
        reconcile_schedule(self.fields, self.unmapped, self.notes)
        return RestoredRecipe(self.source, self.fields, tuple(self.unmapped), self.model_hash, tuple(self.notes))
