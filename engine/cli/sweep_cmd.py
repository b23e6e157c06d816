"""`noisescope sweep`: AUTOMATIC1111's X/Y/Z plot on the command line.

`--x "steps=5,10,20" --y "sampler=DDIM,DPM++ 2M" [--z ...]` over the base recipe the generate
flags describe. Every cell is planned and checked against its model before anything runs;
then each cell's PNG is written as `generate` writes it (the same file, pixel for pixel) and
recorded in the history, the cells of one sweep as one group, and at the end the labelled grid PNG
(with the sweep and every cell's recipe inside). Progress per cell on stderr; Ctrl-C stops at the next
step and keeps the cells already written.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from engine.cli.common import UsageError, add_model_path_option, exit_code_for, fail, print_json
from engine.cli.generate_cmd import model_hash_or_none
from engine.cli.history_group import HistoryGroup
from engine.cli.ray_options import add_ray_options, ray_pool_from_args
from engine.cli.recipe_options import add_recipe_options, recipe_from_args
from engine.errors import NoisescopeError
from engine.events import Cancelled, Failed, Started, Step
from engine.export.grid import make_grid
from engine.export.plan import ExportedFile, ExportPlan, check_output_folder, export_run
from engine.history.recording import record_sweep
from engine.paths import default_output_dir
from engine.recipe import Recipe
from engine.sweep.axes import AXIS_NAMES, parse_axis
from engine.sweep.plan import (
    DEFAULT_GROUP_BATCH,
    DEFAULT_MAX_CELLS,
    SweepPlan,
    TooManyCells,
    fit_labels,
    make_plan,
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep", help="an X/Y/Z grid: one image per combination of values, and a labelled grid",
        description="Sweep fields of the recipe, AUTOMATIC1111 X/Y/Z plot style: e.g. --x \"steps=5,10,20\" "
                    "--y \"sampler=DDIM,DPM++ 2M\". Values are comma-separated (quote one that holds a comma); "
                    "numbers also take ranges: seed=1-4, steps=10-50 (+10), guidance=1-7 [4]. The other flags "
                    "set the base recipe every cell starts from.")
    for name in AXIS_NAMES:
        parser.add_argument(f"--{name}", dest=f"axis_{name}", metavar="FIELD=VALUES", required=name == "x",
                            help=f"the {name.upper()} axis" + (" (columns)" if name == "x" else
                                                               " (rows)" if name == "y" else " (one grid each)"))
    add_recipe_options(parser)
    add_model_path_option(parser)
    parser.add_argument("--out", type=Path, help=f"output folder (default: {default_output_dir()})")
    parser.add_argument("--max-cells", type=int, default=DEFAULT_MAX_CELLS,
                        help=f"run at most this many cells without asking (default {DEFAULT_MAX_CELLS})")
    parser.add_argument("--group-batch", type=int, default=DEFAULT_GROUP_BATCH, metavar="N",
                        help="cells that differ only in consecutive seeds run as one batch of up to N "
                             f"(default {DEFAULT_GROUP_BATCH}; 1: one run per cell)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of paths")
    parser.add_argument("--no-history", dest="history", action="store_false", help="do not record the cells in history")
    add_ray_options(parser)
    parser.set_defaults(func=run_sweep_command)


def plan_from_args(args) -> SweepPlan:
    if args.max_cells < 1 or args.group_batch < 1:
        raise UsageError("--max-cells and --group-batch must be 1 or more")
    base = recipe_from_args(args)
    try:
        axes = [parse_axis(text, name) for name in AXIS_NAMES if (text := getattr(args, f"axis_{name}"))]
        if args.axis_z and not args.axis_y:
            raise UsageError("--z needs a --y: the Z axis makes one X/Y grid per value")
        plan, notes = fit_labels(make_plan(base, axes, args.max_cells), args.model_paths)  # the VAE in a model sweep
        for note in notes:
            print(f"noisescope: note: {note}", file=sys.stderr)
        plan.check(args.model_paths)
    except TooManyCells as exc:
        raise UsageError(f"{exc.message}: pass --max-cells {exc.cells} to run it") from None
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
    return plan


def run_sweep_command(args) -> int:
    from engine.sweep.runner import CellDone, GroupEvent, run_sweep

    plan = plan_from_args(args)
    out_dir = args.out or default_output_dir()
    try:
        check_output_folder(out_dir)
    except NoisescopeError as exc:
        return fail(exc.message)
    cancel = threading.Event()
    images: dict[int, np.ndarray] = {}
    recipes: dict[int, Recipe] = {}
    written: list[ExportedFile] = []
    cell_files: dict[int, list[str]] = {}
    run_ids: list[int | None] = []
    group = HistoryGroup(lambda history: record_sweep(history, plan), "the sweep") if args.history else None
    hashes: dict[str, str | None] = {}
    total, bar = len(plan.cells), None
    cluster = contextlib.ExitStack()  # a Ray pool with --ray: its cells arrive as they finish, written below alike
    pool = cluster.enter_context(ray_pool_from_args(args))
    items: Iterator[Any]
    if pool is None:
        items = run_sweep(plan, cancel, extra_model_paths=args.model_paths, max_batch=args.group_batch)
    else:
        from engine.cluster.ray_sweep import run_sweep_on_ray

        items = run_sweep_on_ray(plan, pool, cancel, max_batch=args.group_batch)
    try:
        for item in items:
            if not isinstance(item, (GroupEvent, CellDone)):  # ClusterProgress
                print(f"noisescope: {item.done}/{total} cells done, {item.running} running, {item.waiting} waiting "
                      f"on {item.workers} Ray worker(s)", file=sys.stderr)
            elif isinstance(item, GroupEvent):
                event, cells = item.event, item.group.cells
                if isinstance(event, Started):
                    what = "; ".join(plan.cell_label(cell) for cell in cells)
                    span = f"{cells[0].index + 1}" + (f"-{cells[-1].index + 1}" if len(cells) > 1 else "")
                    print(f"noisescope: cell {span}/{total}: {what}", file=sys.stderr)
                    bar = tqdm(total=event.total_steps, unit="step", file=sys.stderr, leave=False, disable=None)
                elif isinstance(event, Step) and bar is not None:
                    bar.update(1)
                elif isinstance(event, Failed):
                    return fail(f"cell {plan.cell_label(cells[0])}: {event.message}", exit_code_for(event.kind))
                elif isinstance(event, Cancelled):
                    return _stopped(len(images), total, out_dir)
            elif isinstance(item, CellDone):
                if bar is not None:
                    bar.close()
                    bar = None
                trajectory = item.trajectory
                assert trajectory.recipe is not None and trajectory.final is not None
                model = trajectory.recipe.model
                if model not in hashes:
                    hashes[model] = model_hash_or_none(model, args.model_paths)
                try:
                    files = export_run(trajectory, out_dir, ExportPlan(formats=("png",)), hashes[model])
                except NoisescopeError as exc:
                    return fail(exc.message)
                written += files
                cell_files[item.cell.index] = [str(file.path) for file in files]
                images[item.cell.index] = make_grid(trajectory.final)
                recipes[item.cell.index] = trajectory.recipe
                run_ids.append(group.record(trajectory, hashes[model], files, item.cell.index) if group else None)
    except KeyboardInterrupt:
        cancel.set()
        return _stopped(len(images), total, out_dir)
    except NoisescopeError as exc:  # the cluster lost every worker
        return fail(exc.message, 1)
    finally:
        if bar is not None:
            bar.close()
        cluster.close()
    return _write_grid(args, plan, images, recipes, cell_files, run_ids, out_dir, hashes, group)


def _write_grid(args, plan: SweepPlan, images, recipes, cell_files, run_ids, out_dir: Path, hashes,
                group: HistoryGroup | None = None) -> int:
    from engine.sweep.grid_image import grid_file_name, save_sweep_grid

    first_hash = hashes.get(plan.cells[0].recipe.model)
    try:
        grid = save_sweep_grid(plan, images, Path(out_dir) / grid_file_name(plan), recipes, first_hash)
    except NoisescopeError as exc:
        return fail(exc.message)
    if group is not None:
        group.set_grid(grid)
    if args.json:
        print_json({"description": plan.describe(), "grid": str(grid), "run_ids": run_ids,
                    "cells": [{"at": list(cell.at[:len(plan.axes)]), "label": plan.cell_label(cell),
                               "images": cell_files[cell.index], "recipe": recipes[cell.index].to_dict()}
                              for cell in plan.cells]})
    else:
        for cell in plan.cells:
            print("\n".join(cell_files[cell.index]))
        print(grid)
    return 0


def _stopped(done: int, total: int, out_dir: Path) -> int:
    where = f"; their PNGs are in {out_dir}" if done else ""
    return fail(f"interrupted after {done} of {total} cells{where}", 130)
