"""`noisescope generate`: run a recipe headless, with a progress bar, and write PNGs."""

from __future__ import annotations

import secrets
import sys
import threading
from pathlib import Path

from tqdm import tqdm

from engine.cli.common import USER_ERROR_KINDS, UsageError, add_model_path_option, fail, print_json
from engine.errors import NoisescopeError
from engine.events import Cancelled, Failed, Finished, Started, Step
from engine.export.png import save_png
from engine.models import default_model_name, discover_models
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
    parser.set_defaults(func=run_generate)


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
    paths = []
    stem = f"{_safe(recipe.model)}-{recipe.sampler}-{recipe.steps}"
    try:
        for index, image in enumerate(trajectory.final):
            path = out_dir / f"{stem}-seed{recipe.seed + index}.png"
            paths.append(save_png(image, path, recipe, sample_index=index))
    except NoisescopeError as exc:
        return fail(exc.message)
    if args.json:
        print_json({"recipe": recipe.to_dict(), "images": [str(p) for p in paths],
                    "device": trajectory.device, "duration_s": round(trajectory.duration_s, 3)})
    else:
        for path in paths:
            print(path)
    return 0


def _safe(name: str) -> str:
    name = Path(name).name or "model"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40]


__all__ = ["MAX_SEED", "Finished", "register", "run_generate"]
