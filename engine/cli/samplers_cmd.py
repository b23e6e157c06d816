"""`noisescope samplers`: the samplers and the diffusers schedulers behind them."""

from __future__ import annotations

from engine.cli.common import print_json
from engine.samplers import SAMPLERS


def register(subparsers) -> None:
    parser = subparsers.add_parser("samplers", help="list the samplers")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_samplers)


def run_samplers(args) -> int:
    if args.json:
        print_json({"samplers": [
            {"id": s.id, "name": s.display_name, "scheduler": s.scheduler_class, "uses_eta": s.uses_eta,
             "stochastic": s.stochastic, "description": s.description}
            for s in SAMPLERS.values()
        ]})
        return 0
    for s in SAMPLERS.values():
        flags = ", ".join(f for f, on in (("eta", s.uses_eta), ("stochastic", s.stochastic)) if on)
        print(f"{s.id:9} {s.display_name:9} {s.scheduler_class:32} {flags:16} {s.description}")
    return 0
