"""The comparison document: what every comparison export carries, so each run's recipe comes back.

JSON, one object:

    {"noisescope_comparison": 1, "align": "sigma", "view": "x0", "sample": 0,
     "runs": [{"name": "a.trajectory.safetensors", "model_name": "digits-diffusion", "steps": 20,
               "outcome": "finished", "recipe": {...the recipe's own dict, with its version...}}, ...],
     "differences": [{"runs": [0, 1], "mean_abs": 12.3, "psnr_db": 20.1}, ...]}

`differences` are those of the final images (the last position), one per pair. Where a file
holds named texts (PNG chunks, XMP) the first run's recipe also stands alone in the usual place,
so a reader that knows nothing of comparisons restores run A; where it holds one text (a GIF's
comment, an MP4's comment tag) that text is this document, and restore_from_json takes run A's
recipe from it. Core: the standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.errors import CompareError, InvalidRecipe
from engine.recipe import Recipe
from engine.versioned_json import read_versioned_document

COMPARISON_KEY = "noisescope_comparison"  # the version key, and the PNG text chunk / XMP attribute name
VERSION = 1


@dataclass(frozen=True)
class ComparedRun:
    name: str
    recipe: Recipe
    model_name: str = ""
    steps: int = 0  # recorded steps
    outcome: str = "finished"


@dataclass(frozen=True)
class Comparison:
    align: str
    view: str
    sample: int
    runs: tuple[ComparedRun, ...]
    differences: tuple[tuple[int, int, float, float | None], ...] = ()  # (run, run, mean_abs, psnr_db or None)

    def to_json(self) -> str:
        return json.dumps({
            COMPARISON_KEY: VERSION, "align": self.align, "view": self.view, "sample": self.sample,
            "runs": [{"name": r.name, "model_name": r.model_name, "steps": r.steps, "outcome": r.outcome,
                      "recipe": r.recipe.to_dict()} for r in self.runs],
            "differences": [{"runs": [a, b], "mean_abs": mean_abs, "psnr_db": psnr}
                            for a, b, mean_abs, psnr in self.differences],
        }, sort_keys=True)


def is_comparison_json(text: str) -> bool:
    """Cheap: whether a text looks like a comparison document (no parsing)."""
    return f'"{COMPARISON_KEY}"' in text[:200_000]


def parse_comparison(text: str) -> Comparison:
    """The document; CompareError saying what is wrong with a damaged or newer one."""
    data = read_versioned_document(text, COMPARISON_KEY, VERSION, "comparison", CompareError)
    try:
        runs = tuple(_run(item) for item in data["runs"])
        differences = tuple((int(d["runs"][0]), int(d["runs"][1]), float(d["mean_abs"]),
                             None if d["psnr_db"] is None else float(d["psnr_db"])) for d in data["differences"])
        comparison = Comparison(str(data["align"]), str(data["view"]), int(data["sample"]), runs, differences)
    except InvalidRecipe as exc:
        raise CompareError(f"a recipe in the comparison cannot be read: {exc.message}") from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise CompareError(f"the comparison metadata is damaged ({type(exc).__name__}: {exc})") from None
    if not runs:
        raise CompareError("the comparison metadata lists no runs")
    return comparison


def first_run_recipe(text: str) -> tuple[str, str] | None:
    """For readers of one recipe: (run A's recipe JSON, a note naming the others), or None when
    the text is no comparison document."""
    if not is_comparison_json(text):
        return None
    try:
        comparison = parse_comparison(text)
    except CompareError as exc:
        raise InvalidRecipe(exc.message) from None
    first = comparison.runs[0]
    note = (f"this file compares {len(comparison.runs)} runs; the first one's recipe ({first.name}) is restored "
            "(`noisescope show` lists every run's)")
    return first.recipe.to_json(), note


def _run(item: dict[str, Any]) -> ComparedRun:
    recipe = item["recipe"]
    if not isinstance(recipe, dict):
        raise TypeError("a run's recipe is not an object")
    return ComparedRun(str(item["name"]), Recipe.from_dict(recipe), str(item.get("model_name", "")),
                       int(item.get("steps", 0)), str(item.get("outcome", "finished")))
