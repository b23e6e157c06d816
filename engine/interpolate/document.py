"""Reading an interpolation's document back (engine/interpolate/plan.py writes it): the seeds,
and every frame's recipe, for `noisescope show`; the first frame's recipe for a reader of one
recipe (a GIF's comment and an MP4's comment tag hold only this document). Core: the standard
library only, like engine/compare/metadata.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import InvalidRecipe
from engine.interpolate.plan import INTERPOLATION_KEY, VERSION
from engine.recipe import Recipe
from engine.versioned_json import read_versioned_document


@dataclass(frozen=True)
class InterpolatedFrame:
    index: int
    t: float
    label: str
    recipe: Recipe


@dataclass(frozen=True)
class Interpolation:
    description: str
    seeds: tuple[int, ...]
    frames_between: int
    loop: bool
    total_frames: int
    frames: tuple[InterpolatedFrame, ...]  # those made (fewer than total_frames when stopped early)
    prompts: tuple[str, ...] = ()  # an interpolation between prompts: its keyframes' prompts


def is_interpolation_json(text: str) -> bool:
    """Cheap: whether a text looks like an interpolation document (no parsing)."""
    return f'"{INTERPOLATION_KEY}"' in text[:200_000]


def parse_interpolation(text: str) -> Interpolation:
    """The document; InvalidRecipe saying what is wrong with a damaged or newer one."""
    data = read_versioned_document(text, INTERPOLATION_KEY, VERSION, "interpolation", InvalidRecipe)
    try:
        frames = tuple(InterpolatedFrame(int(item["index"]), float(item["t"]), str(item["label"]),
                                         Recipe.from_dict(item["recipe"])) for item in data["frames"])
        result = Interpolation(str(data["description"]), tuple(int(seed) for seed in data["seeds"]),
                               int(data["frames_between"]), bool(data["loop"]), int(data["total_frames"]), frames,
                               tuple(str(prompt) for prompt in data.get("prompts", ())))
    except InvalidRecipe as exc:
        raise InvalidRecipe(f"a frame's recipe in the interpolation cannot be read: {exc.message}") from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise InvalidRecipe(f"the interpolation metadata is damaged ({type(exc).__name__}: {exc})") from None
    if not frames:
        raise InvalidRecipe("the interpolation metadata lists no frames")
    return result


def first_frame_recipe(text: str) -> tuple[str, str] | None:
    """For readers of one recipe: (the first frame's recipe JSON, a note naming the others), or
    None when the text is no interpolation document."""
    if not is_interpolation_json(text):
        return None
    interpolation = parse_interpolation(text)
    note = (f"this file is an interpolation of {len(interpolation.frames)} frames; the first frame's recipe is "
            "restored (`noisescope show` lists every frame's)")
    return interpolation.frames[0].recipe.to_json(), note
