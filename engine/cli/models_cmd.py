"""`noisescope models`: what can be generated from."""

from __future__ import annotations

from engine.cli.common import add_model_path_option, print_json
from engine.models import discover_models
from engine.paths import bundled_models_dir, user_models_dir


def register(subparsers) -> None:
    parser = subparsers.add_parser("models", help="list the available models")
    parser.add_argument("--model", dest="extra_model", metavar="PATH", help="also list the model at PATH")
    add_model_path_option(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_models)


def run_models(args) -> int:
    paths = list(args.model_paths) + ([args.extra_model] if args.extra_model else [])
    problems: list[str] = []
    models = discover_models(paths, problems)
    if args.json:
        print_json({"models": [m.to_dict() for m in models], "problems": problems})
        return 0
    if not models:
        print(f"no models found in {bundled_models_dir()} or {user_models_dir()}")
    for info in models:
        labels = f"labels {', '.join(info.labels)}" if info.labels else "unconditional"
        size = f"{info.width}x{info.height}x{info.channels}"
        params = f"{info.parameters / 1e6:.2f}M params" if info.parameters else ""
        print(f"{info.name:24} {info.family:9} {size:9} {labels:28} {params:14} {info.origin}: {info.source}")
    for problem in problems:
        print(f"skipped: {problem}")
    return 0
