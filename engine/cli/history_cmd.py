"""`noisescope history`: the runs recorded so far, newest first."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from engine.cli.common import fail, print_json
from engine.errors import NoisescopeError
from engine.history import History, RunRecord, default_history_path
from engine.history.sweep_groups import SweepRecord
from engine.samplers.schedules import DEFAULT_SCHEDULE


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
            # get_run adds the exports; a run deleted meanwhile (by the window) reads None and is left out.
            records = [history.get_run(run.id) for run in runs]
            print_json({"runs": [_as_dict(record) for record in records if record is not None]})
            return 0
        groups = {run.sweep_id: history.get_sweep(run.sweep_id) for run in runs if run.sweep_id is not None}
    if not runs:
        print("no runs recorded" + (" that match" if args.model or args.sampler or args.family or args.starred else ""))
    for run in runs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created_at))
        star = "*" if run.starred else " "
        recipe = run.recipe()  # any recipe version the history holds, read as today's
        sampler = run.sampler if recipe.schedule == DEFAULT_SCHEDULE else f"{run.sampler} {recipe.schedule}"
        print(f"{run.id:5} {star} {when}  {run.model:20} {sampler:9} {recipe.steps:4} steps  seed {recipe.seed:<12} "
              f"{run.outcome:9} {run.duration_s:6.1f}s" + _branch_note(run) + _group_note(run, groups))
    return 0


def _branch_note(run: RunRecord) -> str:
    if run.from_step is None:
        return ""
    parent = f"run {run.parent_id}" if run.parent_id is not None else "a run not in the history"
    return f"  branch of {parent} at step {run.from_step}"


def _group_note(run: RunRecord, groups: dict[int, SweepRecord | None]) -> str:
    """`  sweep 4: steps=10, sampler=DDIM` for a cell of a sweep, families run or interpolation."""
    group = groups.get(run.sweep_id) if run.sweep_id is not None else None
    if group is None:
        return ""
    cell = group.cell_label(run.sweep_cell)
    return f"  {group.noun} {group.id}" + (f": {cell}" if cell else "")


def _as_dict(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id, "created_at": run.created_at, "model": run.model, "sampler": run.sampler,
        "family": run.family, "model_hash": run.model_hash, "device": run.device, "duration_s": run.duration_s,
        "outcome": run.outcome, "starred": run.starred, "trajectory_path": run.trajectory_path,
        "recipe": run.recipe().to_dict(), "exports": [{"kind": k, "path": p} for k, p in run.exports],
        "thumbnail_bytes": len(run.thumbnail or b""), "parent_id": run.parent_id, "from_step": run.from_step,
        "group_id": run.sweep_id, "group_cell": run.sweep_cell,
    }
