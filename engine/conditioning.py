"""What a generation is conditioned on: nothing, a class label, or a text prompt.

One type per kind, so a recipe cannot hold a label and a prompt at once, and a pipeline asks
`isinstance(recipe.conditioning, ClassLabel)` rather than testing strings for None. Each kind
writes itself as a small dict (`{"kind": "class", "label": "7"}`) inside the recipe JSON.
Torch-free: anything may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import InvalidRecipe

MAX_PROMPT = 10_000  # characters; far beyond any text encoder's context, small enough to show


@dataclass(frozen=True)
class Unconditional:
    kind = "none"

    def describe(self) -> str:
        return "unconditional"


@dataclass(frozen=True)
class ClassLabel:
    label: str
    kind = "class"

    def __post_init__(self) -> None:
        if not isinstance(self.label, str) or not self.label.strip():
            raise InvalidRecipe(f"a class label must be a non-empty name, not {self.label!r}")

    def describe(self) -> str:
        return f"class {self.label}"


@dataclass(frozen=True)
class TextPrompt:
    prompt: str
    negative: str = ""
    # A frame between two prompts (engine/interpolate/): the encoder's outputs for `prompt` and
    # `blend_to` mixed linearly, `blend` of the way to blend_to. Unset ("", 0) for a plain prompt.
    blend_to: str = ""
    blend: float = 0.0
    kind = "text"

    def __post_init__(self) -> None:
        for name, text in (("prompt", self.prompt), ("negative prompt", self.negative),
                           ("prompt blended towards", self.blend_to)):
            if not isinstance(text, str):
                raise InvalidRecipe(f"the {name} must be text, not {text!r}")
            if len(text) > MAX_PROMPT:
                raise InvalidRecipe(f"the {name} is {len(text)} characters; at most {MAX_PROMPT} are accepted")
        if not self.prompt.strip():
            raise InvalidRecipe("the prompt is empty: write what to draw, or choose no conditioning")
        if isinstance(self.blend, bool) or not isinstance(self.blend, (int, float)) or not 0 <= self.blend <= 1:
            raise InvalidRecipe(f"a prompt blend goes from 0 to 1, not {self.blend!r}")
        if bool(self.blend_to.strip()) != (self.blend > 0):
            raise InvalidRecipe("a prompt blend needs both the prompt to blend towards and a blend above 0")

    def describe(self) -> str:
        blended = f" → {self.blend_to} ({self.blend:g})" if self.blend_to else ""
        return self.prompt + blended + (f" (negative: {self.negative})" if self.negative else "")


Conditioning = Unconditional | ClassLabel | TextPrompt
KINDS: dict[str, type] = {"none": Unconditional, "class": ClassLabel, "text": TextPrompt}


def conditioning_to_dict(conditioning: Conditioning) -> dict[str, Any]:
    if isinstance(conditioning, ClassLabel):
        return {"kind": "class", "label": conditioning.label}
    if isinstance(conditioning, TextPrompt):
        blend = {"blend_to": conditioning.blend_to, "blend": conditioning.blend} if conditioning.blend_to else {}
        return {"kind": "text", "prompt": conditioning.prompt, "negative": conditioning.negative, **blend}
    return {"kind": "none"}


def conditioning_from_dict(data: Any) -> Conditioning:
    """The inverse of conditioning_to_dict; InvalidRecipe naming what is wrong."""
    if isinstance(data, (Unconditional, ClassLabel, TextPrompt)):
        return data
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        raise InvalidRecipe(f"conditioning must be an object with kind {', '.join(KINDS)}, not {data!r}")
    values = {key: value for key, value in data.items() if key != "kind"}
    try:
        return KINDS[data["kind"]](**values)
    except TypeError:
        raise InvalidRecipe(f"conditioning of kind {data['kind']!r} cannot have {sorted(values)}") from None


def conditioning_from(label: str | None = None, prompt: str | None = None, negative: str = "") -> Conditioning:
    """The conditioning the shorthand keywords name: a label, a prompt, or (neither) none."""
    if label is not None and prompt is not None:
        raise InvalidRecipe("give a class label or a prompt, not both")
    if label is not None:
        return ClassLabel(label)
    if prompt is not None:
        return TextPrompt(prompt, negative)
    if negative:
        raise InvalidRecipe("a negative prompt needs a prompt")
    return Unconditional()
