"""`noisescope generate`: run a recipe headless, with a progress bar, and write PNGs (and, on
request, a grid, animations, a contact sheet and the trajectory); the run goes into history."""

from __future__ import annotations

import secrets
import sqlite3
import sys
import threading
from pathlib import Path

from tqdm import tqdm

from engine.cli.common import USER_ERROR_KINDS, UsageError, add_model_path_option, fail, print_json
from engine.errors import NoisescopeError
from engine.events import Cancelled, Failed, Finished, Started, Step
from engine.export.animation import FORMATS, AnimationOptions
from engine.export.animation import VIEWS as ANIMATION_VIEWS
from engine.export.plan import ExportedFile, ExportPlan, export_run
from engine.history import History
from engine.models import default_model_name, discover_models, hashing
from engine.models.registry import find_model
from engine.paths import default_output_dir
from engine.recipe import DEFAULT_GUIDANCE, MAX_SEED, Recipe
from engine.run import run
from engine.trajectory import Trajectory


def register(subparsers) -> None:
    parser = subparsers.add_parser("generate", help="generate images headless and write PNGs")
    parser.add_argument("--model", help="model name (see `noisescope models`) or folder path")
    add_model_path_option(parser)
    parser.add_argument("--sampler", default="dpmpp_2m", help="sampler id or name (see `noisescope samplers`)")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--seed", type=int, help="seed of the first sample (default: a random one, printed)")
    parser.add_argument("--batch", type=int, default=1, help="number of samples")
    parser.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE,
                        help="classifier-free guidance scale, with --label")
    parser.add_argument("--label", help="class label by name, for class-conditional models")
    parser.add_argument("--eta", type=float, default=0.0, help="DDIM eta (0 deterministic, 1 like DDPM)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    parser.add_argument("--out", type=Path, help=f"output folder (default: {default_output_dir()})")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of paths")
    add_export_options(parser)
    parser.set_defaults(func=run_generate)


def add_export_options(parser) -> None:
    group = parser.add_argument_group("exports", "files written next to the PNGs, each carrying the recipe")
    group.add_argument("--animation", action="append", choices=FORMATS, default=[], metavar="FORMAT",
                       help=f"the denoising as an animation: {', '.join(FORMATS)} (repeatable)")
    group.add_argument("--view", choices=ANIMATION_VIEWS, default="x_t",
                       help="what the animation shows: x_t (noisy sample), x0 (predicted image) or both")
    group.add_argument("--frame-ms", type=int, default=AnimationOptions.frame_ms, help="ms per animation frame")
    group.add_argument("--hold-ms", type=int, default=AnimationOptions.hold_ms, help="ms to hold the last frame")
    group.add_argument("--scale", type=int, help="integer upscale of animation frames (default: readable size)")
    group.add_argument("--sample", type=int, help="animate and sheet this sample (0-based) instead of the grid")
    group.add_argument("--sheet", action="store_true", help="a contact sheet: every k-th step, labelled")
    group.add_argument("--sheet-every", type=int, metavar="K", help="the sheet's k (default: about ten steps across)")
    group.add_argument("--grid", action="store_true", help="the batch as one PNG grid")
    group.add_argument("--trajectory", action="store_true",
                       help="the whole run as a .trajectory.safetensors file, to scrub and export later")
    group.add_argument("--no-history", dest="history", action="store_false", help="do not record the run in history")


def export_plan_from_args(args) -> ExportPlan:
    try:
        return ExportPlan(
            grid=args.grid, animations=tuple(dict.fromkeys(args.animation)), sheet=args.sheet,
            sheet_every=args.sheet_every, sheet_sample=args.sample or 0, trajectory=args.trajectory,
            animation=AnimationOptions(view=args.view, frame_ms=args.frame_ms, hold_ms=args.hold_ms,
                                       scale=args.scale, sample=args.sample),
        )
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None


def recipe_from_args(args) -> Recipe:
    model = args.model
    if model is None:
        model = default_model_name(discover_models(args.model_paths))
        if model is None:
            raise UsageError("no models found; give --model PATH to a model folder")
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    try:
        return Recipe(model=model, sampler=args.sampler, steps=args.steps, seed=seed, batch=args.batch,
                      guidance=args.guidance, eta=args.eta, label=args.label, device=args.device)
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None


def run_generate(args) -> int:
    recipe = recipe_from_args(args)
    export_plan_from_args(args)  # a mistake in the export options is told before the run, not after
    out_dir = args.out or default_output_dir()
    cancel = threading.Event()
    trajectory = Trajectory()
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
    return write_outputs(args, trajectory, out_dir)


def write_outputs(args, trajectory: Trajectory, out_dir: Path) -> int:
    recipe = trajectory.recipe
    assert recipe is not None and trajectory.final is not None
    plan = export_plan_from_args(args)
    model_hash = _model_hash(recipe.model, args.model_paths)
    try:
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


def _model_hash(model: str, model_paths) -> str | None:
    try:
        return hashing.model_hash(find_model(model, model_paths))
    except NoisescopeError:
        return None


def _record_history(trajectory: Trajectory, model_hash: str | None, written: list[ExportedFile]) -> int | None:
    """Record the run; a history that cannot be written costs a warning, never the images."""
    kept = next((f.path for f in written if f.kind == "trajectory"), None)
    try:
        with History() as history:
            run_id = history.add_run(trajectory, model_hash, kept)
            for exported in written:
                history.record_export(run_id, exported.path, exported.kind)
            return run_id
    except (sqlite3.Error, OSError, NoisescopeError) as exc:
        print(f"noisescope: warning: the run was not recorded in history: {exc}", file=sys.stderr)
        return None


__all__ = ["MAX_SEED", "Finished", "register", "run_generate"]
