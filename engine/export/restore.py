"""Restoring a recipe from a file: our own exports, or a PNG from another tool.

Our files carry the full recipe JSON (a PNG or APNG text chunk, a GIF comment, WebP XMP, an MP4
tag, a trajectory file's metadata). A PNG from AUTOMATIC1111 or a tool that copies it carries
only the `parameters` text: the fields that mean the same here (steps, sampler, CFG scale, seed,
model, eta) are taken, and the rest (prompt, negative prompt, Clip skip, Hires ...) are listed
as not restored, so the person knows what was left behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from engine.errors import ExportError, InvalidRecipe
from engine.export.animation import XMP_NAMESPACE
from engine.export.png import PARAMETERS_KEY, RECIPE_KEY
from engine.export.trajectory_file import SUFFIX as TRAJECTORY_SUFFIX
from engine.export.trajectory_file import read_trajectory_metadata
from engine.recipe import Recipe
from engine.samplers import resolve_sampler_id

# `Key: value` pairs, values optionally "quoted, with commas" (the expression A1111 itself uses).
_PAIR = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_NUMBERS = {"Steps": ("steps", int), "Seed": ("seed", int), "CFG scale": ("guidance", float),
            "Eta": ("eta", float), "Eta DDIM": ("eta", float)}
_NOT_RECIPE = {"Model hash"}  # known, kept on the result, but not a recipe setting


@dataclass(frozen=True)
class RestoredRecipe:
    source: str  # "noisescope" (our full JSON) or "a1111" (a parameters line)
    fields: dict[str, Any]  # recipe field -> value, only those the file gave
    unmapped: tuple[tuple[str, str], ...] = ()  # (A1111 key, value) pairs not restored
    model_hash: str | None = None
    notes: tuple[str, ...] = field(default=())

    def recipe(self, base: Recipe | None = None) -> Recipe:
        """The restored fields over `base` (defaults otherwise); InvalidRecipe if they do not fit."""
        return (base or Recipe()).replace(**self.fields)

    def message(self) -> str:
        """One line for a person: what was restored and what was not."""
        taken = ", ".join(sorted(self.fields)) or "nothing"
        text = f"restored {taken} from {'a Noisescope file' if self.source == 'noisescope' else 'an A1111 PNG'}"
        if self.unmapped:
            text += "; not restored: " + ", ".join(key for key, _ in self.unmapped)
        return text


def parse_a1111(text: str) -> RestoredRecipe:
    """Parse A1111 `parameters` text: prompt lines, an optional `Negative prompt:`, then the
    `Steps: ...` line."""
    lines = text.strip().splitlines()
    settings_at = max((i for i, line in enumerate(lines) if re.match(r"\s*Steps:", line)), default=None)
    if settings_at is None:
        raise InvalidRecipe("not an A1111 parameters text: no `Steps:` line")
    head = lines[:settings_at]
    negative_at = next((i for i, line in enumerate(head) if line.startswith("Negative prompt:")), len(head))
    prompt = "\n".join(head[:negative_at]).strip()
    negative = "\n".join(head[negative_at:]).removeprefix("Negative prompt:").strip()
    fields: dict[str, Any] = {}
    unmapped: list[tuple[str, str]] = []
    notes: list[str] = []
    label = re.fullmatch(r"class (\S+)", prompt)
    if label:
        fields["label"] = label.group(1)  # our own prompt line for a class-conditional sample
    elif prompt and prompt != "unconditional":
        unmapped.append(("Prompt", prompt))
    if negative:
        unmapped.append(("Negative prompt", negative))
    model_hash = None
    for key, raw in _PAIR.findall(" ".join(lines[settings_at:])):
        key, value = key.strip(), raw.strip()
        if value.startswith('"') and value.endswith('"'):
            value = value[1:-1].replace('\\"', '"')
        if key in _NUMBERS:
            name, kind = _NUMBERS[key]
            try:
                fields[name] = kind(value)
            except ValueError:
                unmapped.append((key, value))
        elif key == "Sampler":
            try:
                fields["sampler"] = resolve_sampler_id(value)
            except InvalidRecipe:
                unmapped.append((key, value))
                notes.append(f"sampler {value!r} has no equivalent here; the current sampler is kept")
        elif key == "Model":
            fields["model"] = value
        elif key in _NOT_RECIPE:
            model_hash = value
        else:
            unmapped.append((key, value))
    return RestoredRecipe("a1111", fields, tuple(unmapped), model_hash, tuple(notes))


def restore_from_json(text: str) -> RestoredRecipe:
    recipe = Recipe.from_json(text)
    fields = recipe.to_dict()
    fields.pop("noisescope_recipe")
    return RestoredRecipe("noisescope", fields)


def read_recipe(path: Path) -> RestoredRecipe:
    """The recipe a file carries; ExportError if it carries none or cannot be read."""
    path = Path(path)
    if path.name.endswith(TRAJECTORY_SUFFIX) or path.suffix == ".safetensors":
        return restore_from_json(read_trajectory_metadata(path)["recipe"])
    if path.suffix.lower() == ".mp4":
        return restore_from_json(_mp4_comment(path))
    info = _image_info(path)
    if RECIPE_KEY in info:
        return restore_from_json(info[RECIPE_KEY])
    comment = info.get("comment")
    if isinstance(comment, bytes) and comment.startswith(b"{"):
        return restore_from_json(comment.decode())
    if "xmp" in info:
        recipe_json = _xmp_recipe(info["xmp"])
        if recipe_json:
            return restore_from_json(recipe_json)
    if PARAMETERS_KEY in info:
        return parse_a1111(info[PARAMETERS_KEY])
    raise ExportError(f"{path.name} carries no recipe (no {RECIPE_KEY} or A1111 parameters)")


def _image_info(path: Path) -> dict[str, Any]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return dict(image.info)
    except FileNotFoundError:
        raise ExportError(f"{path}: no such file") from None
    except UnidentifiedImageError:
        raise ExportError(f"{path.name} is not an image Noisescope can read") from None
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None


def _xmp_recipe(xmp: bytes | str) -> str | None:
    try:
        root = ElementTree.fromstring(xmp)
    except ElementTree.ParseError:
        return None
    for element in root.iter():
        value = element.get(f"{{{XMP_NAMESPACE}}}recipe")
        if value:
            return value
    return None


def _mp4_comment(path: Path) -> str:
    import av

    try:
        with av.open(str(path)) as container:
            comment = container.metadata.get("comment")
    except (OSError, av.FFmpegError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from None
    if not comment:
        raise ExportError(f"{path.name} carries no recipe")
    return comment
