"""AUTOMATIC1111's `parameters` text, written and read, and restoring a recipe from our JSON.

The text is a prompt line (ours: `class 7` or `unconditional`), an optional `Negative prompt:`
line, then `Key: value, Key: value, ...`. Which recipe field goes under which key, and how its
value reads, is the field table's (engine/recipe_fields.py: `a1111_key`, `to_text`,
`from_text`); written out here are only the keys that are not one field's: the prompt lines,
`Seed` (plus the sample's index), `Size` (width x height), `Model hash`, `Batch pos`, and
A1111's older sampler names that carry the schedule ("DPM++ 2M Karras").

A PNG from AUTOMATIC1111 or a tool that copies it carries only this text: the keys that mean
the same here are taken, and the rest (prompt, Clip skip, Hires ...) are listed as not restored,
so the person knows what was left behind. Torch-free: anything may import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

from engine import recipe_fields
from engine.branch import Branch
from engine.compare.metadata import first_run_recipe
from engine.conditioning import ClassLabel, TextPrompt, Unconditional, conditioning_to_dict
from engine.errors import InvalidRecipe
from engine.init_image import InitImage
from engine.interpolate.document import first_frame_recipe
from engine.kinds import Family
from engine.latent_map.seed_plane import SeedPlane
from engine.recipe import Recipe
from engine.recipe_fields import A1111_KEYS, FIELDS
from engine.samplers.registry import NO_SAMPLER, SAMPLERS, resolve_sampler_id
from engine.samplers.schedules import DEFAULT_SCHEDULE, SCHEDULES
from engine.seeds import has_variation, sample_seed, sample_variation_seed

# A1111's own order; keys not named here follow in the table's order.
_ORDER = ("Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model hash", "Model")
_STEPS_LINE = re.compile(r"\s*Steps:")


def prompt_line(recipe: Recipe) -> str:
    conditioning = recipe.conditioning
    if isinstance(conditioning, TextPrompt):
        negative = f"\nNegative prompt: {conditioning.negative}" if conditioning.negative else ""
        return conditioning.prompt + negative
    return conditioning.describe()  # "class 7" or "unconditional"


def a1111_parameters(recipe: Recipe, height: int, width: int, model_hash: str | None = None,
                     sample_index: int | None = 0) -> str:
    """The `parameters` text: a prompt line, then `Steps: N, Sampler: X, ...`.

    height and width are the picture's (a sample's) size. sample_index None describes the whole
    batch (a grid): the first seed and the batch size."""
    pairs: list[tuple[str, str]] = []
    for row in FIELDS:
        value = getattr(recipe, row.name)
        if row.name == "variation_seed" and has_variation(recipe):  # A1111 writes it with any strength, 0 too
            pairs.append((row.a1111_key or "", str(sample_variation_seed(recipe, sample_index or 0))))
            continue
        if row.name == "strength":  # A1111 writes it for img2img only, at its default too
            if recipe.init_image is not None:
                pairs.append((row.a1111_key or "", row.to_text(value)))
            continue
        if row.a1111_key is None or value is None or (not row.a1111_always and value == row.default):
            continue
        if row.name == "sampler" and value == NO_SAMPLER:
            text = str(recipe.family or "none")  # a one-pass model: its family stands in for the sampler
        elif row.name == "variation_seed":
            continue  # no strength: no variation, and A1111 writes neither key
        elif row.name == "seed":
            text = str(sample_seed(recipe, sample_index or 0))  # each image's own, as A1111 writes it
        else:
            text = row.to_text(value)
        pairs.append((row.a1111_key, _quoted(text)))
        if row.name == "batch" and sample_index is not None:
            pairs.append(("Batch pos", str(sample_index)))
    if recipe.width and recipe.height:  # A1111's Size is the generation size, whatever the picture became
        width, height = recipe.width, recipe.height
    pairs.append(("Size", f"{width}x{height}"))
    if model_hash:
        pairs.append(("Model hash", model_hash))
    pairs.sort(key=lambda pair: _ORDER.index(pair[0]) if pair[0] in _ORDER else len(_ORDER))
    return prompt_line(recipe) + "\n" + ", ".join(f"{key}: {value}" for key, value in pairs)


def _quoted(text: str) -> str:
    # A value with a comma or colon is quoted, as A1111 does, so the line still splits.
    return '"' + text.replace('"', '\\"') + '"' if any(c in text for c in ',:"\n') else text


SOURCES = {  # RestoredRecipe.source -> what a person is told the fields came from
    "noisescope": "a Noisescope file", "a1111": "A1111 parameters", "comfyui": "a ComfyUI workflow",
    "invokeai": "InvokeAI metadata", "novelai": "NovelAI metadata", "fooocus": "Fooocus metadata",
    "swarmui": "SwarmUI metadata",
}


@dataclass(frozen=True)
class RestoredRecipe:
    source: str  # a key of SOURCES: our full JSON, an A1111 parameters text, another tool's metadata
    fields: dict[str, Any]  # recipe field -> value (as Recipe holds it), only those the file gave
    unmapped: tuple[tuple[str, str], ...] = ()  # (key, value) pairs not restored
    model_hash: str | None = None
    notes: tuple[str, ...] = field(default=())
    sample: int | None = None  # the file is this sample of its batch (A1111's `Batch pos`)

    def recipe(self, base: Recipe | None = None) -> Recipe:
        """The restored fields over `base` (defaults otherwise); InvalidRecipe if they do not fit."""
        return (base or Recipe()).replace(**self.fields)

    def json_fields(self) -> dict[str, Any]:
        """fields as JSON values (the conditioning as its dict, the family as its word)."""
        return {name: conditioning_to_dict(value) if name == "conditioning" else
                (value.value if isinstance(value, Family) else
                 value.to_dict() if isinstance(value, (Branch, InitImage, SeedPlane)) else value)
                for name, value in self.fields.items()}

    @property
    def source_name(self) -> str:
        return SOURCES.get(self.source, self.source)

    def message(self) -> str:
        """One line for a person: what was restored and what was not."""
        taken = ", ".join(sorted(self.fields)) or "nothing"
        text = f"restored {taken} from {self.source_name}"
        if self.unmapped:
            text += "; not restored: " + ", ".join(key for key, _ in self.unmapped)
        return text


def parse_a1111(text: str) -> RestoredRecipe:
    """Parse A1111 `parameters` text: prompt lines, an optional `Negative prompt:`, then the
    `Steps: ...` line. Linear in the text's length, however it is made."""
    lines = text.strip().splitlines()
    settings_at = max((i for i, line in enumerate(lines) if _STEPS_LINE.match(line)), default=None)
    if settings_at is None:
        raise InvalidRecipe("not an A1111 parameters text: no `Steps:` line")
    head = lines[:settings_at]
    negative_at = next((i for i, line in enumerate(head) if line.startswith("Negative prompt:")), len(head))
    prompt = "\n".join(head[:negative_at]).strip()
    negative = "\n".join(head[negative_at:]).removeprefix("Negative prompt:").strip()
    restored: dict[str, Any] = {}
    unmapped: list[tuple[str, str]] = []
    notes: list[str] = []
    _restore_prompt(prompt, negative, restored, unmapped)
    model_hash, sample = None, None
    for key, value in settings_pairs(" ".join(lines[settings_at:])):
        if key == "Model hash":
            model_hash = value
        elif key == "Batch pos" and value.isdigit() and len(value) < 10:
            sample = int(value)  # its Seed is this sample's already (A1111 writes each image's own)
        elif key == "Size":
            _restore_size(value, restored, unmapped)
        elif key == "Sampler":
            _restore_sampler(value, restored, unmapped, notes)
        elif key in A1111_KEYS and A1111_KEYS[key].name != "strength":  # img2img's, or hires fix's: the text
            row = A1111_KEYS[key]  # never carries the init image, so the strength alone would mean nothing
            try:
                restored[row.name] = row.from_text(value)
            except InvalidRecipe as exc:
                unmapped.append((key, value))
                if row.name == "schedule":
                    notes.append(f"{exc.message}; the current schedule type is kept")
        else:
            unmapped.append((key, value))
    reconcile_schedule(restored, unmapped, notes)
    return RestoredRecipe("a1111", restored, tuple(unmapped), model_hash, tuple(notes), sample)


def _restore_prompt(prompt: str, negative: str, restored: dict[str, Any], unmapped: list[tuple[str, str]]) -> None:
    """Our own prompt lines (`class 7`, `unconditional`) as those conditionings; any other text
    as a TextPrompt with its negative prompt, as AUTOMATIC1111 wrote them."""
    label = re.fullmatch(r"class (\S+)", prompt)
    try:
        if label and not negative:
            restored["conditioning"] = ClassLabel(label.group(1))
        elif prompt == "unconditional" and not negative:
            restored["conditioning"] = Unconditional()  # clears a label the controls had
        elif prompt:
            restored["conditioning"] = TextPrompt(prompt, negative)
        elif negative:
            unmapped.append(("Negative prompt", negative))  # a negative prompt with no prompt to go with
    except InvalidRecipe:  # a prompt longer than any encoder takes
        unmapped.append(("Prompt", prompt))


def reconcile_schedule(restored: dict[str, Any], unmapped: list[tuple[str, str]], notes: list[str]) -> None:
    """A restored sampler runs with the schedule the text names if it takes it, else its default
    (no `Schedule type` in A1111's text means Automatic)."""
    sampler = restored.get("sampler")
    if sampler is None or sampler not in SAMPLERS:  # none, or NO_SAMPLER: a one-pass model has no schedule
        return
    schedule = restored.setdefault("schedule", DEFAULT_SCHEDULE)
    if schedule not in SAMPLERS[sampler].schedules:
        restored["schedule"] = DEFAULT_SCHEDULE
        unmapped.append(("Schedule type", SCHEDULES[schedule].display_name))
        notes.append(f"{SAMPLERS[sampler].display_name} takes no {SCHEDULES[schedule].display_name} schedule "
                     "here; it runs with its default one")


def settings_pairs(line: str) -> list[tuple[str, str]]:
    """`Key: value, Key: "quoted, value", ...` as (key, value) pairs, quotes removed.

    A hand-written scanner, not a regular expression: each character is looked at a bounded
    number of times, so a huge or hostile chunk (1 MB without a colon, an unclosed quote) costs
    milliseconds (issue 12: the old expression backtracked quadratically)."""
    pairs: list[tuple[str, str]] = []
    at, end = 0, len(line)
    while at < end:
        colon = line.find(":", at)
        if colon < 0:
            break
        # Text with no colon before this key (a stray "word,") is dropped, as A1111's reader drops it.
        key = line[at:colon].rsplit(",", 1)[-1].strip()
        start = colon + 1
        while start < end and line[start] == " ":
            start += 1
        if start < end and line[start] == '"':
            close = _closing_quote(line, start + 1)
            value = line[start + 1:close].replace('\\"', '"')
            comma = line.find(",", close)
        else:
            comma = line.find(",", start)
            value = line[start:comma if comma >= 0 else end].strip()
        if key:
            pairs.append((key, value))
        at = comma + 1 if comma >= 0 else end
    return pairs


def _closing_quote(line: str, at: int) -> int:
    """Index of the quote closing a value that starts at `at` (backslash escapes); the end if none.
    str.find does the scanning; each search starts where the last one stopped (linear)."""
    quote = line.find('"', at)
    while quote >= 0:
        backslash = line.find("\\", at, quote)
        if backslash < 0:
            return quote
        at = backslash + 2  # the escaped character, perhaps the quote itself, is skipped
        if at > quote:
            quote = line.find('"', at)
    return len(line)


def _restore_size(value: str, restored: dict[str, Any], unmapped: list[tuple[str, str]]) -> None:
    width, _, height = value.partition("x")
    try:
        restored["width"], restored["height"] = (recipe_fields.field("width").from_text(width),
                                                 recipe_fields.field("height").from_text(height))
    except InvalidRecipe:
        unmapped.append(("Size", value))


def _restore_sampler(value: str, restored: dict[str, Any], unmapped: list[tuple[str, str]],
                     notes: list[str]) -> None:
    # A1111 before 1.9 named the schedule in the sampler: "DPM++ 2M Karras".
    for schedule in SCHEDULES.values():
        suffix = " " + schedule.display_name
        if value.endswith(suffix):
            try:
                restored["sampler"] = resolve_sampler_id(value.removesuffix(suffix))
                restored["schedule"] = schedule.id
                return
            except InvalidRecipe:
                break
    if value in {family.value for family in Family}:  # our VAE and GAN PNGs name their family here
        restored["sampler"], restored["family"] = NO_SAMPLER, Family(value)
        return
    try:
        restored["sampler"] = resolve_sampler_id(value)
    except InvalidRecipe:
        unmapped.append(("Sampler", value))
        notes.append(f"sampler {value!r} has no equivalent here; the current sampler is kept")



MAX_RECIPE_JSON = 1 << 20  # a recipe is a few hundred bytes; a megabyte is plenty for long prompts


def restore_from_json(text: str, model_hash: str | None = None, sample: int | None = None) -> RestoredRecipe:
    """Our own recipe JSON (any version this release reads) as a RestoredRecipe of every field.

    Hostile text gets InvalidRecipe, never a Python error: over MAX_RECIPE_JSON, nested past
    the parser's recursion limit, or an integer longer than Python converts (4,300 digits).
    `sample` (from the file's `Batch pos`): the file is that sample of the batch; the recipe
    stays the batch's (running it again makes this image as sample `sample`), and a note names
    the sample's own seed, which `show` prints (issue 12: it gave only the batch's first seed)."""
    if len(text) > MAX_RECIPE_JSON:
        raise InvalidRecipe(f"the recipe JSON is {len(text):,} characters; at most {MAX_RECIPE_JSON:,} are read")
    comparison_notes: tuple[str, ...] = ()
    # A comparison's or an interpolation's document (a GIF's or MP4's one text): its run A, its first frame
    compared = first_run_recipe(text) or first_frame_recipe(text)
    if compared is not None:
        text, comparison_notes = compared[0], (compared[1],)
    try:
        recipe = Recipe.from_json(text)
    except RecursionError:
        raise InvalidRecipe("the recipe JSON is nested too deeply to be a recipe") from None
    except ValueError as exc:  # int() past sys.get_int_max_str_digits
        raise InvalidRecipe(f"the recipe JSON holds a value that cannot be read: {exc}") from None
    written = recipe.to_dict()  # only a branch, a seed plane or an init image says it is one (as its JSON)
    values = {f.name: getattr(recipe, f.name) for f in fields(recipe) if f.name in written}
    notes: tuple[str, ...] = ()
    if sample is not None and 0 < sample < recipe.batch:
        own = (f"variation seed is {sample_variation_seed(recipe, sample)} (the recipe's variation seed "
               f"{recipe.variation_seed} is the batch's first)" if has_variation(recipe) else
               f"seed is {sample_seed(recipe, sample)} (the recipe's seed {recipe.seed} is the batch's first)")
        notes = (f"this image is sample {sample} of a batch of {recipe.batch}: its own {own}",)
    return RestoredRecipe("noisescope", values, model_hash=model_hash, notes=comparison_notes + notes, sample=sample)
