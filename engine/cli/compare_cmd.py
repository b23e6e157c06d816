"""`noisescope compare FILE FILE ... --out DIR`: 2 to 4 trajectory files side by side, step by step.

The runs are lined up by noise level (or by fraction of the run), every pair's difference is a
heat map and a number, and the comparison is written as animations and a contact sheet that
carry every run's recipe (engine/compare/). The models need not be installed: the trajectory
files hold everything shown.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from engine.cli.common import UsageError, print_json
from engine.compare.alignment import ALIGNMENTS, describe
from engine.compare.export import ANIMATIONS, FORMATS, SHEET, ComparisonResult, export_comparison
from engine.compare.options import VIEWS, CompareOptions
from engine.compare.panes import run_caption
from engine.compare.runs import LETTERS, MAX_RUNS, MIN_RUNS, CompareRun
from engine.errors import NoisescopeError
from engine.export.plan import check_output_folder
from engine.export.trajectory_file import is_trajectory_name, load_trajectory
from engine.paths import default_output_dir
from engine.trajectory import Trajectory

HOW_TO_RECORD = "`noisescope generate --export trajectory` or the window's File > Export > Trajectory writes them"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare", help="put 2 to 4 recorded runs (trajectory files) side by side, aligned by noise level")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help=f"{MIN_RUNS} to {MAX_RUNS} .trajectory.safetensors files")
    parser.add_argument("--out", type=Path, help=f"output folder (default: {default_output_dir()})")
    parser.add_argument("--align", choices=ALIGNMENTS, default="sigma",
                        help="line the steps up by noise level (default) or by fraction of the run")
    parser.add_argument("--format", dest="formats", action="append", choices=FORMATS, metavar="FORMAT",
                        help=f"what to write (repeatable): {', '.join(FORMATS)} (default: gif and sheet)")
    parser.add_argument("--view", choices=VIEWS, default="x0",
                        help="the model's predicted clean image x0 (default) or the noisy sample x_t")
    parser.add_argument("--sample", type=int, default=0, help="which sample of each run's batch (default 0)")
    parser.add_argument("--frame-ms", type=int, default=CompareOptions.frame_ms, help="time per position (ms)")
    parser.add_argument("--hold-ms", type=int, default=CompareOptions.hold_ms, help="extra time on the final images")
    parser.add_argument("--scale", type=int, help="integer upscale of the images (default: a readable size)")
    parser.add_argument("--heat-scale", type=float, default=CompareOptions.heat_scale, metavar="LEVELS",
                        help="the difference shown white in the heat maps, in 0-255 levels (default 255)")
    parser.add_argument("--sheet-every", type=int, metavar="K", help="the sheet shows every k-th position")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of text")
    parser.set_defaults(func=run_compare)


def run_compare(args) -> int:
    if not MIN_RUNS <= len(args.files) <= MAX_RUNS:
        more = f"add {MIN_RUNS - len(args.files)} more" if len(args.files) < MIN_RUNS else \
            f"leave {len(args.files) - MAX_RUNS} out"
        raise UsageError(f"compare takes {MIN_RUNS} to {MAX_RUNS} trajectory files, not {len(args.files)}: {more}")
    if args.sheet_every is not None and args.sheet_every < 1:
        raise UsageError(f"--sheet-every must be 1 or more, not {args.sheet_every}")
    out_dir = args.out or default_output_dir()
    try:
        options = CompareOptions(align=args.align, view=args.view, sample=args.sample, frame_ms=args.frame_ms,
                                 hold_ms=args.hold_ms, scale=args.scale, heat_scale=args.heat_scale)
        runs = [CompareRun(_load(path), path.name) for path in args.files]
        check_output_folder(out_dir)
        result = export_comparison(runs, out_dir, args.formats or ("gif", SHEET), options, args.sheet_every)
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
    if args.json:
        print_json(_summary(runs, result))
        return 0
    for note in result.notes:
        print(f"noisescope: note: {note}", file=sys.stderr)
    for number, run in enumerate(runs):
        recorded = len(run.trajectory.steps)
        print(f"{LETTERS[number]}: {run.name}: {run_caption(run.trajectory)} ({recorded} recorded "
              f"step{'s' if recorded != 1 else ''})")
    print(f"{len(result.alignment)} positions, aligned by {'noise level' if args.align == 'sigma' else 'fraction'}; "
          f"final {args.view}, sample {args.sample}:")
    for pair in result.final.pairs:
        print(f"  {pair.name}: {pair.difference.text()}")
    for path in result.files:
        print(path)
    return 0


def _load(path: Path) -> Trajectory:
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if not path.is_file():
        raise UsageError(f"{path}: not a file")
    if not is_trajectory_name(path):
        raise UsageError(f"{path.name} is not a trajectory file: compare reads .trajectory.safetensors files "
                         f"({HOW_TO_RECORD})")
    return load_trajectory(path)


def _summary(runs: list[CompareRun], result: ComparisonResult) -> dict[str, Any]:
    trajectories = [run.trajectory for run in runs]
    return {
        "align": result.alignment.mode, "view": result.comparison.view, "sample": result.comparison.sample,
        "runs": [{"letter": LETTERS[i], "file": str(run.name), "recipe": run.trajectory.recipe.to_dict() if run.trajectory.recipe else None,
                  "model_name": run.trajectory.model_name, "recorded_steps": len(run.trajectory.steps),
                  "outcome": run.trajectory.outcome.value} for i, run in enumerate(runs)],
        "positions": [{"level": position.level, "final": position.final, "steps": list(position.steps),
                       "shown": [describe(t, s) for t, s in zip(trajectories, position.steps, strict=True)]}
                      for position in result.alignment.positions],
        "final_differences": [{"runs": [LETTERS[p.first], LETTERS[p.second]], **p.difference.to_dict()}
                              for p in result.final.pairs],
        "notes": list(result.notes), "files": [str(path) for path in result.files],
        "animations": [str(path) for path in result.files if path.suffix.lstrip(".") in ANIMATIONS],
    }
