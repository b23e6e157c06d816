"""`noisescope samplers`: the samplers, the diffusers schedulers behind them, and the schedule
types each one takes."""

from __future__ import annotations

from engine.cli.common import print_json
from engine.samplers import SAMPLERS
from engine.samplers.schedules import SCHEDULES


def register(subparsers) -> None:
    parser = subparsers.add_parser("samplers", help="list the samplers and schedule types")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_samplers)


def run_samplers(args) -> int:
    if args.json:
        print_json({
            "samplers": [
                {"id": s.id, "name": s.display_name, "scheduler": s.scheduler_class, "uses_eta": s.uses_eta,
                 "stochastic": s.stochastic, "schedules": list(s.schedules), "description": s.description}
                for s in SAMPLERS.values()
            ],
            "schedules": [{"id": s.id, "name": s.display_name, "description": s.description}
                          for s in SCHEDULES.values()],
        })
        return 0
    for s in SAMPLERS.values():
        flags = ", ".join(f for f, on in (("eta", s.uses_eta), ("stochastic", s.stochastic)) if on)
        print(f"{s.id:9} {s.display_name:9} {s.scheduler_class:32} {flags:16} {s.description}")
    print("\nschedule types (--schedule):")
    for spec in SCHEDULES.values():
        takers = [s.display_name for s in SAMPLERS.values() if spec.id in s.schedules]
        who = "every sampler" if len(takers) == len(SAMPLERS) else ", ".join(takers)
        print(f"{spec.id:12} {spec.display_name:12} {spec.description}; {who}")
    return 0
