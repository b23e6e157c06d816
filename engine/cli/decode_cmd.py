"""`noisescope decode FILE --step K`: one recorded step of a trajectory file decoded at full quality
by the model's VAE, written as a PNG that carries the run's recipe. The step's x0 latents are in
the file (Stable Diffusion runs previewed by this version), so the UNet never runs: only the VAE
of the model in the file's recipe, or of the one --model names."""

from __future__ import annotations

from pathlib import Path

from engine.cli.common import add_model_path_option, fail
from engine.errors import NoisescopeError
from engine.export.grid import make_grid
from engine.export.png import save_png
from engine.export.trajectory_file import SUFFIX, load_trajectory
from engine.models import hashing


def register(subparsers) -> None:
    parser = subparsers.add_parser("decode", help="decode a step of a trajectory file at full quality with the "
                                                  "model's VAE, as a PNG (no UNet run)")
    parser.add_argument("file", type=Path, help=f"a {SUFFIX} file (generate --trajectory, or the window's export)")
    parser.add_argument("--step", type=int, metavar="K",
                        help="the step, counted from 1 as the window's timeline shows it (default: the last recorded)")
    parser.add_argument("--model", metavar="NAME_OR_PATH",
                        help="decode with this model's VAE (default: the model named in the file's recipe)")
    parser.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default: the run's own device where this "
                                         "machine has it, else auto)")
    parser.add_argument("--out", type=Path, metavar="FILE.png", help="the PNG to write (default: beside FILE, "
                                                                     "named after it and the step)")
    add_model_path_option(parser)
    parser.set_defaults(func=run_decode)


def run_decode(args) -> int:
    from engine.step_decode import decode_recorded_step, decoder_model, step_position  # torch: only when run

    if args.out is not None and args.out.suffix.lower() != ".png":
        return fail(f"--out {args.out}: the decode is written as PNG; give a name ending in .png")
    try:
        trajectory = load_trajectory(args.file)
        if not trajectory.steps:
            return fail(f"{args.file}: the run recorded no steps (made with --preview none?): nothing to decode")
        number = args.step if args.step is not None else trajectory.steps[-1].index + 1
        position = step_position(trajectory, number)
        images = decode_recorded_step(trajectory, position, model=args.model, device=args.device,
                                      extra_model_paths=args.model_paths)
        model_hash = hashing.model_hash(decoder_model(trajectory, args.model, args.model_paths))
        assert trajectory.recipe is not None  # load_trajectory refuses a file without one
        single = len(images) == 1
        picture = images[0] if single else make_grid(images)  # a batch: its grid, as generate --grid writes it
        written = save_png(picture, args.out or _default_out(args.file, number), trajectory.recipe, model_hash,
                           sample_index=0 if single else None, size=images.shape[1:3])
    except NoisescopeError as exc:
        return fail(exc.message, exc.kind.exit_code)
    print(written)
    return 0


def _default_out(file: Path, number: int) -> Path:
    name = file.name
    stem = name[:-len(SUFFIX)] if name.lower().endswith(SUFFIX) else file.stem
    return file.with_name(f"{stem}-step{number}-vae.png")
