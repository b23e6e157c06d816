"""`noisescope history`: the runs recorded so far, newest first."""

from __future__ import annotations

import sqlite3
import time

from engine.cli.common import fail, print_json
from engine.errors import NoisescopeError
from engine.history import History, default_history_path


def register(subparsers) -> None:
    parser = subparsers.add_parser("history", help="list past runs, newest first")
    parser.add_argument("--model", help="only runs of this model")
    parser.add_argument("--sampler", help="only runs with this sampler id")
    parser.add_argument("--family", choices=("diffusion", "vae", "gan"), help="only runs of this family")
    parser.add_argument("--starred", action="store_true", help="only starred runs")
    parser.add_argument("--limit", type=int, help="at most this many runs")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_history)


def run_history(args) -> int:
    try:
        return _list(args)
    except NoisescopeError as exc:
        return fail(exc.message)
    except (sqlite3.Error, OSError) as exc:
        return fail(f"cannot read the history at {default_history_path()}: {exc}", 1)


def _list(args) -> int:
    with History() as history:
        runs = history.list_runs(model=args.model, sampler=args.sampler, family=args.family,
                                 starred=True if args.starred else None, limit=args.limit)
        if args.json:
            print_json({"runs": [_as_dict(history.get_run(run.id)) for run in runs]})
            return 0
    if not runs:
        print("no runs recorded" + (" that match" if args.model or args.sampler or args.family or args.starred else ""))
    for run in runs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created_at))
        star = "*" if run.starred else " "
        recipe = run.recipe()
        print(f"{run.id:5} {star} {when}  {run.model:20} {run.sampler:9} {recipe.steps:4} steps  seed {recipe.seed:<12} "
              f"{run.outcome:9} {run.duration_s:6.1f}s")
    return 0


def _as_dict(run) -> dict:
    return {
        "id": run.id, "created_at": run.created_at, "model": run.model, "sampler": run.sampler,
        "family": run.family, "model_hash": run.model_hash, "device": run.device, "duration_s": run.duration_s,
        "outcome": run.outcome, "starred": run.starred, "trajectory_path": run.trajectory_path,
        "recipe": run.recipe().to_dict(), "exports": [{"kind": k, "path": p} for k, p in run.exports],
        "thumbnail_bytes": len(run.thumbnail or b""),
    }
