"""`noisescope interpolate`: a video walking from seed to seed.

`--seeds 1,2,3 [--frames-between 16] [--loop]` over the base recipe the generate flags describe.
Every frame is one run of its own recipe (seed a, variation seed b, variation strength t: the
start noise, or a VAE's or GAN's latent vector, slerped from a's towards b's), so each frame is
reproducible alone. For a text model, `--prompts "A" "B" [...]` walks from prompt to prompt
(the text encoder's outputs mixed linearly), on one seed (`--seed`) or one seed per prompt (`--seeds`).
The frames are written as GIF/WebP/APNG/MP4 and a contact sheet, each file
carrying every frame's recipe (`noisescope show` lists them), and each frame is recorded in the
history as a run of its own recipe, the frames of one interpolation as one group (as a sweep's
cells; --no-history leaves them out). Progress on stderr; Ctrl-C stops at the next step and
writes (and keeps recorded) the frames already made.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
from tqdm import tqdm

from engine.cli.common import UsageError, add_model_path_option, exit_code_for, fail, print_json
from engine.cli.generate_cmd import model_hash_or_none
from engine.cli.history_group import HistoryGroup
from engine.cli.recipe_options import add_recipe_options, recipe_from_args
from engine.errors import NoisescopeError
from engine.events import Cancelled, Failed, Started
from engine.export.plan import check_output_folder
from engine.interpolate.export import FORMATS, InterpolationExport, export_interpolation
from engine.interpolate.plan import InterpolationPlan, make_interpolation, parse_seeds
from engine.kinds import Family
from engine.paths import default_output_dir
from engine.recipe import Recipe
from engine.samplers.registry import SAMPLERS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "interpolate", help="a video walking from seed to seed (slerp of the start noise or latent vector)",
        description="Interpolate between seeds: each frame between seed a and seed b at t is the recipe "
                    "seed=a, variation seed=b, variation strength=t (AUTOMATIC1111's slerp of the start noise; "
                    "a VAE's or GAN's latent vector), so every frame is reproducible with `generate`. "
                    "The other flags set the base recipe every frame starts from.")
    parser.add_argument("--seeds", metavar="A,B[,C...]", help="the seeds to walk through, in order")
    parser.add_argument("--prompts", nargs="+", metavar="PROMPT",
                        help="a text model: the prompts to walk through, in order (their encodings mixed "
                             "linearly); the start noise is --seed's, or moves along --seeds, one per prompt")
    parser.add_argument("--frames-between", default="16", metavar="N",
                        help="frames between each pair of seeds (default 16)")
    parser.add_argument("--loop", action="store_true", help="walk from the last seed back to the first")
    parser.add_argument("--format", dest="formats", action="append", metavar="FORMAT",
                        help=f"one of {', '.join(FORMATS)} (repeatable; default gif)")
    parser.add_argument("--frame-ms", default="80", metavar="MS", help="how long each frame shows (default 80)")
    parser.add_argument("--scale", default=None, metavar="N", help="integer upscale (default: a readable size)")
    add_recipe_options(parser)
    add_model_path_option(parser)
    parser.add_argument("--out", type=Path, help=f"output folder (default: {default_output_dir()})")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of paths")
    parser.add_argument("--no-history", dest="history", action="store_false",
                        help="do not record the frames in history")
    parser.set_defaults(func=run_interpolate_command)


def plan_from_args(args) -> tuple[InterpolationPlan, InterpolationExport]:
    prompts = tuple(args.prompts or ())
    if prompts and args.recipe_part_prompt is not None:
        raise UsageError("an interpolation between prompts takes them from --prompts; leave out --prompt")
    if not prompts and args.seeds is None:
        raise UsageError("give the seeds to walk through (--seeds 1,2,3), or a text model's prompts (--prompts A B)")
    if args.recipe_seed is not None and (args.seeds is not None or not prompts):
        raise UsageError("an interpolation takes its seeds from --seeds A,B,...; leave out --seed")
    if prompts:
        args.recipe_part_prompt = prompts[0]  # the base recipe's; each frame sets its own
    base = recipe_from_args(args)
    try:
        frames_between = _whole(args.frames_between, "--frames-between")
        options = InterpolationExport(tuple(args.formats or ("gif",)), _whole(args.frame_ms, "--frame-ms"),
                                      None if args.scale is None else _whole(args.scale, "--scale"))
        seeds = parse_seeds(args.seeds) if args.seeds is not None else (base.seed,)
        plan = make_interpolation(base, seeds, frames_between, args.loop, prompts)
        _check_model(plan.base, args.model_paths)
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
    return plan, options


def run_interpolate_command(args) -> int:
    from engine.interpolate.runner import FrameDone, FrameEvent, run_interpolation

    plan, options = plan_from_args(args)
    out_dir = args.out or default_output_dir()
    try:
        check_output_folder(out_dir)
    except NoisescopeError as exc:
        return fail(exc.message)
    print(f"noisescope: {plan.describe()}", file=sys.stderr)
    cancel = threading.Event()
    images: dict[int, np.ndarray] = {}
    recipes: dict[int, Recipe] = {}
    run_ids: dict[int, int | None] = {}
    model_hash = model_hash_or_none(plan.base.model, args.model_paths)
    group = HistoryGroup(lambda history: _record_interpolation(history, plan), "the interpolation") \
        if args.history else None
    bar = tqdm(total=len(plan.frames), unit="frame", file=sys.stderr, leave=False, disable=None)
    try:
        for item in run_interpolation(plan, cancel, extra_model_paths=args.model_paths):
            if isinstance(item, FrameEvent):
                event = item.event
                if isinstance(event, Failed):
                    bar.close()
                    return fail(f"frame {item.frame.index + 1} ({item.frame.label}): {event.message}",
                                exit_code_for(event.kind))
                if isinstance(event, Cancelled):
                    break
                if isinstance(event, Started) and item.frame.t == 0.0:  # a line per seed, also in a log
                    tqdm.write(f"noisescope: frame {item.frame.index + 1}/{len(plan.frames)}: {item.frame.label}",
                               file=sys.stderr)
            elif isinstance(item, FrameDone):
                images[item.frame.index], recipes[item.frame.index] = item.image, item.recipe
                if group is not None:  # as it is made: an interrupted walk keeps the frames done
                    run_ids[item.frame.index] = group.record(item.trajectory, model_hash, [], item.frame.index)
                bar.set_postfix_str(item.frame.label)
                bar.update(1)
                if len(images) == 1:
                    _note_stochastic(item.recipe)
    except KeyboardInterrupt:
        cancel.set()
    finally:
        bar.close()
    return _write(args, plan, options, images, recipes, out_dir, model_hash, group, run_ids)


def _record_interpolation(history, plan: InterpolationPlan) -> int:
    from engine.history.recording import record_interpolation

    return record_interpolation(history, plan)


def _write(args, plan: InterpolationPlan, options: InterpolationExport, images, recipes, out_dir: Path,
           model_hash: str | None, group: HistoryGroup | None, run_ids: dict[int, int | None]) -> int:
    stopped = len(images) < len(plan.frames)
    if stopped and not images:
        return fail("interrupted before the first frame was made; nothing was written", 130)
    try:
        files = export_interpolation(plan, images, recipes, Path(out_dir), options, model_hash)
    except NoisescopeError as exc:
        return fail(exc.message)
    sheet = next((path for path in files if path.suffix == ".png"), None)
    if group is not None and sheet is not None:
        group.set_grid(sheet)  # the group's picture in the history, as a sweep's grid
    if args.json:
        print_json({"description": plan.describe(), "files": [str(path) for path in files],
                    "history_group": group.id if group is not None else None,
                    "frames": [{"index": frame.index, "t": frame.t, "label": frame.label,
                                "recipe": recipes[frame.index].to_dict(), "run_id": run_ids.get(frame.index)}
                               for frame in plan.frames if frame.index in recipes]})
    else:
        print("\n".join(str(path) for path in files))
    if stopped:
        return fail(f"interrupted after {len(images)} of {len(plan.frames)} frames; the files hold those made", 130)
    return 0


def _whole(text: str, flag: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{flag} takes a whole number, not {text!r}") from None


def _check_model(base: Recipe, model_paths) -> None:
    """Fail before any run on a setting the model does not have (a label on the VAE, a sampler
    on a GAN's recipe...): the frames differ from the base only in their seeds."""
    from engine.models.catalog import find_model

    base.check_against_model(find_model(base.model, model_paths))


def _note_stochastic(recipe: Recipe) -> None:
    spec = SAMPLERS.get(recipe.sampler)
    if recipe.family == Family.DIFFUSION and spec is not None and (
            spec.stochastic or (spec.uses_eta and recipe.eta > 0)):
        print(f"noisescope: note: {spec.display_name} draws fresh noise every step, from each frame's first seed, "
              "so the video jumps at each seed; a sampler like DDIM or DPM++ 2M walks smoothly", file=sys.stderr)
