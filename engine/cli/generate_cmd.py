"""`noisescope generate`: run a recipe headless, with a progress bar, and write PNGs (and, on
request, a grid, animations, a contact sheet and the trajectory); the run goes into history."""

from __future__ import annotations

import sqlite3
import sys
import threading
from pathlib import Path

from tqdm import tqdm

from engine.atomic import all_or_none
from engine.cli.common import USER_ERROR_KINDS, add_model_path_option, fail, print_json
from engine.cli.export_options import add_export_options, export_plan_from_args
from engine.cli.preview_options import (
    add_preview_options,
    preview_budget_from_args,
    preview_settings_from_args,
    previewing,
    refuse_steps_without_previews,
)
from engine.cli.recipe_options import add_recipe_options, recipe_from_args
from engine.errors import NoisescopeError
from engine.events import Cancelled, Failed, Finished, Started, Step
from engine.export.plan import ExportedFile, check_output_folder, export_run
from engine.history import History
from engine.models import hashing
from engine.models.registry import find_model
from engine.paths import default_output_dir
from engine.recipe import MAX_SEED
from engine.run import run
from engine.trajectory import Trajectory


def register(subparsers) -> None:
    parser = subparsers.add_parser("generate", help="generate images headless and write PNGs")
    add_recipe_options(parser)  # --model, --sampler, --schedule, --steps ...: one per field of the table
    add_run_output_options(parser)
    parser.set_defaults(func=run_generate)


def add_run_output_options(parser) -> None:
    """What a command that runs a recipe as `generate` does takes besides it (`branch` too): where
    models and files are, the previews and the exports."""
    add_model_path_option(parser)
    parser.add_argument("--out", type=Path, help=f"output folder (default: {default_output_dir()})")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of paths")
    add_preview_options(parser)
    add_export_options(parser)


def run_generate(args) -> int:
    return generate_recipe(args, recipe_from_args(args))


def generate_recipe(args, recipe) -> int:
    """Run a recipe as `generate` does: progress bar, files, history (`noisescope branch` too)."""
    plan = export_plan_from_args(args)  # a mistake in the export options is told before the run, not after
    previews = preview_settings_from_args(args)  # so is a wrong --preview or --taesd
    refuse_steps_without_previews(previews, plan.formats, _pipeline(recipe.model, args.model_paths))  # and this
    budget = preview_budget_from_args(args)  # and a wrong --preview-budget
    out_dir = args.out or default_output_dir()
    try:
        check_output_folder(out_dir)  # a folder that cannot take the files is told before the run, not after
    except NoisescopeError as exc:
        return fail(exc.message)
    with previewing(previews):
        return _generate(args, recipe, out_dir, budget)


def _generate(args, recipe, out_dir: Path, budget: int | None) -> int:
    cancel = threading.Event()
    trajectory = Trajectory(preview_budget=budget)
    bar = None
    try:
        for event in run(recipe, cancel, extra_model_paths=args.model_paths):
            trajectory.record(event)
            if isinstance(event, Started):
                bar = tqdm(total=event.total_steps, desc=f"{event.model_name} on {event.device}", unit="step",
                           file=sys.stderr, leave=False, disable=None)
            elif isinstance(event, Step) and bar is not None:
                bar.update(1)
            elif isinstance(event, Failed):
                code = 2 if event.kind in USER_ERROR_KINDS else 1
                return fail(event.message, code)
            elif isinstance(event, Cancelled):
                return fail("cancelled", 130)
    except KeyboardInterrupt:
        cancel.set()
        return fail("interrupted", 130)
    finally:
        if bar is not None:
            bar.close()
    for notice in trajectory.notices:  # previews thinned past the budget, an init image resized: said, never silent
        hint = " (--preview-budget)" if notice.startswith("previews of every") else ""
        print(f"noisescope: note: {notice}{hint}", file=sys.stderr)
    return write_outputs(args, trajectory, out_dir)


def write_outputs(args, trajectory: Trajectory, out_dir: Path) -> int:
    recipe = trajectory.recipe
    assert recipe is not None and trajectory.final is not None
    plan = export_plan_from_args(args)
    model_hash = model_hash_or_none(recipe.model, args.model_paths)
    try:
        with all_or_none():  # killed or interrupted mid-export: no file of the run, and no history row
            written = export_run(trajectory, out_dir, plan, model_hash)
    except NoisescopeError as exc:
        return fail(exc.message)
    run_id = _record_history(trajectory, model_hash, written) if args.history else None
    if args.json:
        print_json({"recipe": recipe.to_dict(), "images": [str(f.path) for f in written if f.kind == "png"],
                    "exports": [{"kind": f.kind, "path": str(f.path)} for f in written], "run_id": run_id,
                    "model_hash": model_hash, "device": trajectory.device,
                    "duration_s": round(trajectory.duration_s, 3)})
    else:
        for exported in written:
            print(exported.path)
    return 0


def _pipeline(model: str, model_paths) -> str | None:
    """The model's kind (described, not loaded); None when it is not found: the run says so."""
    try:
        return find_model(model, model_paths).pipeline
    except NoisescopeError:
        return None


def model_hash_or_none(model: str, model_paths) -> str | None:
    """The model's A1111 short hash; None when the model is not found (the run says so)."""
    try:
        return hashing.model_hash(find_model(model, model_paths))
    except NoisescopeError:
        return None


def _record_history(trajectory: Trajectory, model_hash: str | None, written: list[ExportedFile]) -> int | None:
    """Record the run; a history that cannot be written costs a warning, never the images."""
    from engine.history.recording import record_run

    try:
        with History() as history:
            return record_run(history, trajectory, model_hash, written)
    except (sqlite3.Error, OSError, NoisescopeError) as exc:
        print(f"noisescope: warning: the run was not recorded in history: {exc}", file=sys.stderr)
        return None


__all__ = ["MAX_SEED", "Finished", "generate_recipe", "register", "run_generate"]
