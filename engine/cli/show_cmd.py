"""`noisescope show FILE`: the recipe a file carries (our PNG, an animation, a trajectory file,
or another tool's image: A1111/Forge/SD.Next PNG, JPEG or WebP, ComfyUI, InvokeAI, NovelAI,
Fooocus, SwarmUI). Every file gets an answer, in bounded time (engine/export/formats/registry.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.cli.common import UsageError, print_json
from engine.compare.metadata import Comparison
from engine.compare.reading import read_comparison
from engine.compare.runs import LETTERS
from engine.conditioning import TextPrompt
from engine.errors import NoisescopeError
from engine.export.restore import RestoredRecipe, read_recipe, restore_from_json
from engine.interpolate.document import Interpolation
from engine.interpolate.reading import read_interpolation
from engine.recipe_fields import FIELDS


def register(subparsers) -> None:
    parser = subparsers.add_parser("show", help="print the recipe a PNG, JPEG, animation or trajectory file carries")
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_show)


def run_show(args) -> int:
    try:
        restored = read_recipe(args.file)
        comparison = read_comparison(args.file)  # a comparison's exports carry every run's recipe
        interpolation = read_interpolation(args.file)  # so do an interpolation's, every frame's
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
    if args.json:
        print_json({"source": restored.source, "recipe": restored.json_fields(), "model_hash": restored.model_hash,
                    "sample": restored.sample,
                    "unmapped": [{"key": key, "value": value} for key, value in restored.unmapped],
                    "notes": list(restored.notes), **_comparison_json(comparison),
                    **_interpolation_json(interpolation)})
        return 0
    if comparison is not None:
        return _print_comparison(args.file, comparison)
    if interpolation is not None:
        return _print_interpolation(args.file, interpolation)
    print(f"{args.file.name}: {'Noisescope recipe' if restored.source == 'noisescope' else restored.source_name}")
    _print_fields(restored)
    return 0


def _print_fields(restored: RestoredRecipe) -> None:
    rows = [(row.label, row.to_text(restored.fields[row.name])) for row in FIELDS if row.name in restored.fields]
    if restored.model_hash:
        rows.append(("Model hash", restored.model_hash))
    width = max((len(label) for label, _ in rows), default=0)
    for label, text in rows:  # the table's order and labels, as the window's form shows them
        print(f"  {label:{width}}  {text}")
    for key, value in restored.unmapped:
        print(f"  not restored: {key}: {value}")
    for note in restored.notes:
        print(f"  note: {note}")


def _comparison_json(comparison: Comparison | None) -> dict[str, Any]:
    """show --json of a comparison: the usual keys (run A's recipe) plus every run's."""
    if comparison is None:
        return {}
    return {"comparison": {
        "align": comparison.align, "view": comparison.view, "sample": comparison.sample,
        "runs": [{"name": run.name, "model_name": run.model_name, "recorded_steps": run.steps, "outcome": run.outcome,
                  "recipe": restore_from_json(run.recipe.to_json()).json_fields()} for run in comparison.runs],
        "final_differences": [{"runs": [LETTERS[a], LETTERS[b]], "mean_abs": mean_abs, "psnr_db": psnr}
                              for a, b, mean_abs, psnr in comparison.differences]}}


def _print_comparison(path: Path, comparison: Comparison) -> int:
    align = "noise level" if comparison.align == "sigma" else "fraction of the run"
    print(f"{path.name}: Noisescope comparison of {len(comparison.runs)} runs (aligned by {align}; "
          f"{comparison.view}, sample {comparison.sample})")
    first = restore_from_json(comparison.runs[0].recipe.to_json())
    for number, (letter, run) in enumerate(zip(LETTERS, comparison.runs, strict=False)):
        print(f"{letter}: {run.name} ({run.model_name or run.recipe.model}, {run.steps} recorded steps, {run.outcome})")
        restored = restore_from_json(run.recipe.to_json())
        if number == 0:
            _print_fields(restored)
            continue
        changed = {name: value for name, value in restored.fields.items() if first.fields.get(name) != value}
        _print_fields(replace(restored, fields=changed))  # run A's table, then what each other run changed
        if not changed:
            print(f"  the same recipe as {LETTERS[0]}")
    for a, b, mean_abs, psnr in comparison.differences:
        print(f"final |{LETTERS[a]}-{LETTERS[b]}|: mean {mean_abs:.2f} levels, "
              + ("identical" if psnr is None else f"PSNR {psnr:.2f} dB"))
    return 0


def _interpolation_json(interpolation: Interpolation | None) -> dict[str, Any]:
    """show --json of an interpolation: the usual keys (the first frame's recipe) plus every frame's."""
    if interpolation is None:
        return {}
    return {"interpolation": {
        "description": interpolation.description, "seeds": list(interpolation.seeds),
        "frames_between": interpolation.frames_between, "loop": interpolation.loop,
        "total_frames": interpolation.total_frames, **({"prompts": list(interpolation.prompts)}
                                                        if interpolation.prompts else {}),
        "frames": [{"index": frame.index, "t": frame.t, "label": frame.label,
                    "recipe": restore_from_json(frame.recipe.to_json()).json_fields()} for frame in interpolation.frames]}}


def _print_interpolation(path: Path, interpolation: Interpolation) -> int:
    made = len(interpolation.frames)
    print(f"{path.name}: Noisescope {interpolation.description}"
          + ("" if made == interpolation.total_frames else f"; {made} made"))
    changes = "prompt and its blend, seed, variation seed and strength" if interpolation.prompts else (
        "seed, variation seed and strength")
    print(f"frame 1's recipe (each frame changes only the {changes}):")
    _print_fields(restore_from_json(interpolation.frames[0].recipe.to_json()))
    for frame in interpolation.frames:
        recipe = frame.recipe
        variation = (f", variation seed {recipe.variation_seed}, strength {recipe.variation_strength:g}"
                     if recipe.variation_strength else "")
        text = recipe.conditioning if isinstance(recipe.conditioning, TextPrompt) else None
        blend = f" blended {text.blend:g} towards {text.blend_to!r}" if text is not None and text.blend_to else ""
        prompt = f", prompt {recipe.prompt!r}{blend}" if interpolation.prompts else ""
        print(f"  frame {frame.index + 1}: seed {recipe.seed}{variation}{prompt}")
    return 0
