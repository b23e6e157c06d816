"""`noisescope show FILE`: the recipe a file carries (our PNG, an A1111 PNG, an animation, a
trajectory file)."""

from __future__ import annotations

from pathlib import Path

from engine.cli.common import UsageError, print_json
from engine.errors import NoisescopeError
from engine.export.restore import read_recipe


def register(subparsers) -> None:
    parser = subparsers.add_parser("show", help="print the recipe a PNG, animation or trajectory file carries")
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_show)


def run_show(args) -> int:
    try:
        restored = read_recipe(args.file)
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
    if args.json:
        print_json({"source": restored.source, "recipe": restored.fields, "model_hash": restored.model_hash,
                    "unmapped": [{"key": key, "value": value} for key, value in restored.unmapped],
                    "notes": list(restored.notes)})
        return 0
    print(f"{args.file.name}: {'Noisescope recipe' if restored.source == 'noisescope' else 'A1111 parameters'}")
    for key, value in restored.fields.items():
        print(f"  {key:9} {value}")
    if restored.model_hash:
        print(f"  {'hash':9} {restored.model_hash}")
    for key, value in restored.unmapped:
        print(f"  not restored: {key}: {value}")
    for note in restored.notes:
        print(f"  note: {note}")
    return 0
