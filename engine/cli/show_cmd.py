"""`noisescope show FILE`: the recipe a file carries (our PNG, an animation, a trajectory file,
or another tool's image: A1111/Forge/SD.Next PNG, JPEG or WebP, ComfyUI, InvokeAI, NovelAI,
Fooocus, SwarmUI). Every file gets an answer, in bounded time (engine/export/formats/registry.py)."""

from __future__ import annotations

from pathlib import Path

from engine.cli.common import UsageError, print_json
from engine.errors import NoisescopeError
from engine.export.restore import read_recipe
from engine.recipe_fields import FIELDS


def register(subparsers) -> None:
    parser = subparsers.add_parser("show", help="print the recipe a PNG, JPEG, animation or trajectory file carries")
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_show)


def run_show(args) -> int:
    try:
        restored = read_recipe(args.file)
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
    if args.json:
        print_json({"source": restored.source, "recipe": restored.json_fields(), "model_hash": restored.model_hash,
                    "sample": restored.sample,
                    "unmapped": [{"key": key, "value": value} for key, value in restored.unmapped],
                    "notes": list(restored.notes)})
        return 0
    print(f"{args.file.name}: {'Noisescope recipe' if restored.source == 'noisescope' else restored.source_name}")
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
    return 0
