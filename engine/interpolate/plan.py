"""An interpolation between seeds: its frames, each one an ordinary, reproducible recipe.

A frame between seed a and seed b at t is the recipe seed=a, variation_seed=b,
variation_strength=t: its start noise (the latent vector, for a VAE or GAN) is A1111's slerp
from a's noise towards b's (engine/noise.py), which at t=1 is b's noise bit for bit. Keyframes
are the plain seeds (strength 0). So each frame's image is what `generate` makes with its
recipe, and a non-ancestral sampler ends a segment on seed b's own image. An ancestral one
draws every frame's per-step noise from seed a, so it jumps at each keyframe (said in the CLI).

Between prompts (a text model): the keyframes are the prompts, and a frame at t is the recipe of
prompt a blended towards prompt b by t (TextPrompt.blend_to / blend: the text encoder's outputs
mixed linearly, engine/pipelines/text_conditioning.py says why linearly), with one seed's start
noise for every frame, or with the seeds interpolated alongside, one seed per prompt.

Frames are not batched: a batch with a variation keeps one strength for all its samples
(engine/seeds.py), so frames that differ only in strength cannot share a run.
Torch-free: the window may plan with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from engine.conditioning import ClassLabel, TextPrompt
from engine.errors import InvalidRecipe
from engine.recipe import MAX_SEED, Recipe
from engine.seeds import has_variation

INTERPOLATION_KEY = "noisescope_interpolation"  # the document's version key and its PNG chunk / XMP attribute
VERSION = 1
MAX_FRAMES = 1000  # a thousand recipes fit the metadata readers' caps (engine/export/a1111.MAX_RECIPE_JSON)
MAX_FRAMES_BETWEEN = 240


@dataclass(frozen=True)
class Frame:
    index: int
    segment: int  # from seeds[segment] towards the next seed (the first one again when looping)
    t: float  # 0 on a keyframe
    recipe: Recipe

    @property
    def label(self) -> str:
        blend_to = getattr(self.recipe.conditioning, "blend_to", "")
        if blend_to:
            seeds = (f"seed {self.recipe.seed} → {self.recipe.variation_seed}" if has_variation(self.recipe)
                     else f"seed {self.recipe.seed}")
            return f"{_short(self.recipe.prompt)} → {_short(blend_to)}, {seeds}, t={self.t:g}"
        if self.t == 0.0:
            return f"seed {self.recipe.seed}" + (f", {_short(self.recipe.prompt)}" if self.recipe.prompt else "")
        return f"seed {self.recipe.seed} → {self.recipe.variation_seed}, t={self.t:g}"


@dataclass(frozen=True)
class InterpolationPlan:
    base: Recipe
    seeds: tuple[int, ...]
    frames_between: int
    loop: bool
    frames: tuple[Frame, ...]
    prompts: tuple[str, ...] = ()  # between prompts: one keyframe per prompt

    def describe(self) -> str:
        path = " → ".join(str(seed) for seed in (*self.seeds, *self.seeds[:1] * self.loop))
        what = f"seeds {path}"
        if self.prompts:
            walk = " → ".join(_short(prompt) for prompt in (*self.prompts, *self.prompts[:1] * self.loop))
            what = f"prompts {walk} ({'seed ' + path if len(self.seeds) == 1 else 'seeds ' + path})"
        return (f"interpolation of {what}, {self.frames_between} frames between each pair "
                f"({len(self.frames)} frames{', looping' if self.loop else ''})")

    def to_json(self, recipes: dict[int, Recipe] | None = None) -> str:
        """The document every export carries: the interpolation and the recipe of each frame made
        (`recipes`, frame index -> the recipe as run; frames not made are left out)."""
        made = self.frames if recipes is None else [frame for frame in self.frames if frame.index in recipes]
        recipes = recipes or {}
        return json.dumps({
            INTERPOLATION_KEY: VERSION, "description": self.describe(), "seeds": list(self.seeds),
            "frames_between": self.frames_between, "loop": self.loop, "total_frames": len(self.frames),
            **({"prompts": list(self.prompts)} if self.prompts else {}),
            "frames": [{"index": frame.index, "segment": frame.segment, "t": frame.t, "label": frame.label,
                        "recipe": recipes.get(frame.index, frame.recipe).to_dict()} for frame in made],
        }, sort_keys=True)


def parse_seeds(text: str) -> tuple[int, ...]:
    """`1,2,3` -> (1, 2, 3); InvalidRecipe saying what is wrong."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        seeds = tuple(int(part) for part in parts)
    except ValueError:
        raise InvalidRecipe(f"seeds must be whole numbers separated by commas (like 1,2,3), not {text!r}") from None
    for seed in seeds:
        if not 0 <= seed <= MAX_SEED:
            raise InvalidRecipe(f"seed {seed} is out of range: seeds go from 0 to {MAX_SEED}")
    return seeds


def make_interpolation(base: Recipe, seeds: Sequence[int], frames_between: int, loop: bool = False,
                       prompts: Sequence[str] = ()) -> InterpolationPlan:
    """The frames from each seed to the next (and back to the first when looping); InvalidRecipe
    for fewer than 2 seeds, no frames between, a batch, or a variation already set. With prompts,
    from each prompt to the next, on one seed or on one seed per prompt."""
    seeds, prompts = tuple(seeds), tuple(prompts)
    if prompts:
        return _between_prompts(base, seeds, prompts, frames_between, loop)
    if len(seeds) < 2:
        raise InvalidRecipe(f"an interpolation needs at least 2 seeds, got {len(seeds)}: give them as --seeds 1,2")
    pairs = list(zip(seeds, seeds[1:])) + ([(seeds[-1], seeds[0])] if loop else [])
    _check_frames(base, frames_between, len(pairs), loop)
    frames: list[Frame] = []
    for segment, (a, b) in enumerate(pairs):
        frames.append(Frame(len(frames), segment, 0.0, base.replace(seed=a)))
        for k in range(1, frames_between + 1):
            t = round(k / (frames_between + 1), 4)
            frames.append(Frame(len(frames), segment, t, base.replace(seed=a, variation_seed=b, variation_strength=t)))
    if not loop:
        frames.append(Frame(len(frames), len(pairs), 0.0, base.replace(seed=seeds[-1])))
    return InterpolationPlan(base, seeds, frames_between, loop, tuple(frames))


def _check_frames(base: Recipe, frames_between: int, pairs: int, loop: bool) -> None:
    if not 1 <= frames_between <= MAX_FRAMES_BETWEEN:
        raise InvalidRecipe(f"frames between each pair of seeds must be 1 to {MAX_FRAMES_BETWEEN}, not {frames_between}")
    if base.batch != 1:
        raise InvalidRecipe("an interpolation makes one image per frame: leave out --batch")
    if has_variation(base) or base.variation_seed != 0:
        raise InvalidRecipe("each frame sets its own variation seed and strength: leave out --variation-seed "
                            "and --variation-strength")
    count = pairs * (frames_between + 1) + (0 if loop else 1)
    if count > MAX_FRAMES:
        raise InvalidRecipe(f"the interpolation makes {count} frames, more than {MAX_FRAMES}: "
                            "give fewer seeds or fewer frames between")


def _between_prompts(base: Recipe, seeds: tuple[int, ...], prompts: tuple[str, ...], frames_between: int,
                     loop: bool) -> InterpolationPlan:
    """Keyframe k is prompt k (on seed k, or on the one seed); a frame at t blends prompt a's
    encoding towards b's, and the start noise from seed a's towards b's when they differ."""
    if len(prompts) < 2:
        raise InvalidRecipe(f"an interpolation between prompts needs at least 2 prompts, got {len(prompts)}")
    if any(not prompt.strip() for prompt in prompts):
        raise InvalidRecipe("one of the prompts is empty: write each prompt to walk through")
    if len(seeds) not in (1, len(prompts)):
        raise InvalidRecipe(f"give one seed (the same start noise for every frame) or one seed per prompt "
                            f"({len(prompts)}), not {len(seeds)}")
    if isinstance(base.conditioning, ClassLabel):
        raise InvalidRecipe("prompts are for a text-to-image model; leave out --label")
    keys = [(seeds[k % len(seeds)], prompt) for k, prompt in enumerate(prompts)]
    pairs = list(zip(keys, keys[1:])) + ([(keys[-1], keys[0])] if loop else [])
    _check_frames(base, frames_between, len(pairs), loop)
    negative = base.negative_prompt or ""

    def keyframe(seed: int, prompt: str) -> Recipe:
        return base.replace(seed=seed, conditioning=TextPrompt(prompt, negative))

    frames: list[Frame] = []
    for segment, ((seed_a, prompt_a), (seed_b, prompt_b)) in enumerate(pairs):
        frames.append(Frame(len(frames), segment, 0.0, keyframe(seed_a, prompt_a)))
        for k in range(1, frames_between + 1):
            t = round(k / (frames_between + 1), 4)
            noise = {"variation_seed": seed_b, "variation_strength": t} if seed_b != seed_a else {}
            blend = TextPrompt(prompt_a, negative, prompt_b, t) if prompt_b != prompt_a else TextPrompt(prompt_a, negative)
            frames.append(Frame(len(frames), segment, t, base.replace(seed=seed_a, conditioning=blend, **noise)))
    if not loop:
        frames.append(Frame(len(frames), len(pairs), 0.0, keyframe(*keys[-1])))
    return InterpolationPlan(base, seeds, frames_between, loop, tuple(frames), prompts)


def _short(prompt: str | None, limit: int = 40) -> str:
    text = " ".join((prompt or "").split())
    return repr(text if len(text) <= limit else text[:limit - 1] + "…")
