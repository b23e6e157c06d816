"""`noisescope analyze TRAJECTORY_FILE --out DIR`: the Plots panel's read-outs without a window.

The noise schedule, how x0 converges and the step each pixel settled at, each as a PNG and its data
as CSV; for a guided run also its guidance views (conditional and unconditional noise predictions,
guidance x their difference) at one step (engine/export/analysis_files.py). The model need not be
installed: the trajectory file holds everything read.
"""

from __future__ import annotations

import sys
from pathlib import Path

from engine.cli.common import UsageError, print_json
from engine.errors import NoisescopeError
from engine.export.analysis_files import write_analysis
from engine.export.plan import check_output_folder
from engine.export.trajectory_file import is_trajectory_name, load_trajectory
from engine.paths import default_output_dir
from engine.run_analysis import DEFAULT_TOLERANCE


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "analyze", help="write a recorded run's plots (schedule, convergence, settled map) as PNG and CSV")
    parser.add_argument("file", type=Path, metavar="TRAJECTORY_FILE", help="a .trajectory.safetensors file")
    parser.add_argument("--out", type=Path, help=f"output folder (default: {default_output_dir()})")
    parser.add_argument("--tolerance", type=int, default=DEFAULT_TOLERANCE, metavar="LEVELS",
                        help=f"a pixel has settled once its x0 stays within this many levels (of 255) of the "
                             f"final image (default {DEFAULT_TOLERANCE})")
    parser.add_argument("--step", type=int, metavar="K",
                        help="a guided run's guidance views are written at this step, 0-based as the trajectory "
                             "numbers its steps (default: the last)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of paths")
    parser.set_defaults(func=run_analyze)


def run_analyze(args) -> int:
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"{path}: no such file; give a trajectory file (`generate --trajectory` writes one)")
    if not is_trajectory_name(path):
        raise UsageError(f"{path.name} is not a trajectory file: analyze reads .trajectory.safetensors files "
                         "(`generate --trajectory` or the window's File > Export > Trajectory writes them)")
    if args.tolerance < 0:
        raise UsageError(f"--tolerance is in levels of 0-255 and must be 0 or more, not {args.tolerance}")
    out_dir = args.out or default_output_dir()
    try:
        trajectory = load_trajectory(path)
        check_output_folder(out_dir)
        files = write_analysis(trajectory, out_dir, args.tolerance, args.step)
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
    except ValueError as exc:  # the analysis's own refusals: a one-pass run has nothing to plot
        raise UsageError(f"{path.name}: {exc}") from None
    if args.json:
        print_json({"file": str(path), "guided": trajectory.guided, "files": [str(f) for f in files]})
        return 0
    if trajectory.notices:
        print(f"noisescope: note: {trajectory.notices[0]}", file=sys.stderr)
    for file in files:
        print(file)
    return 0
