"""`noisescope evaluate MODEL`: how recognisable, varied and original a digits model's samples are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.cli.common import UsageError, print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser("evaluate", help="quality figures of a digits model (vs real held-out digits)")
    parser.add_argument("model", help="model name (see `noisescope models`) or folder")
    parser.add_argument("--count", type=int, default=500, help="samples to draw (default 500)")
    parser.add_argument("--steps", type=int, default=25, help="sampler steps for diffusion models")
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--data", type=Path, help="digits .npz (default: the bundled one)")
    parser.add_argument("--classifier", type=Path, help="classifier weights (default: the bundled one); trained and saved there if missing")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_evaluate)


def _row(name: str, figures: dict[str, Any]) -> str:
    accuracy = figures.get("label_accuracy")
    copies = figures.get("copies")
    return (f"{name:28} {figures['samples']:7d} {figures['confident']:9.1%} {figures['coverage']:5d}/10 "
            f"{'' if accuracy is None else f'{accuracy:.1%}':>9} {figures['nearest_train_median']:8.2f} "
            f"{'' if copies is None else f'{copies:.1%}':>7}  {figures['histogram']}")


def run_evaluate(args) -> int:
    if args.count < 10:
        raise UsageError(f"--count must be at least 10, not {args.count}")
    from engine.errors import NoisescopeError
    from engine.training.classifier import load_or_train_classifier
    from engine.training.data import load_digits, split
    from engine.training.evaluate import evaluate_model, reference

    try:
        train, held_out = split(load_digits(args.data))
        classifier = load_or_train_classifier(args.classifier, train)
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"cannot read the digits data or classifier: {exc}") from None
    real = reference(classifier, train, held_out)
    try:
        result = evaluate_model(args.model, classifier, train, real, count=args.count, seed=args.seed,
                                steps=args.steps)
    except NoisescopeError as exc:
        raise UsageError(str(exc)) from None
    result["real_reference"] = real
    if args.json:
        print_json(result)
        return 0
    print(f"{'':28} {'samples':>7} {'conf>0.9':>9} {'cover':>8} {'label acc':>9} {'nn dist':>8} {'copies':>7}  classes")
    print(_row("real held-out digits", real))
    print(_row(f"{result['model']} (no label)", result["unconditional"]))
    if "conditional" in result:
        print(_row(f"{result['model']} (label asked)", result["conditional"]))
    return 0
