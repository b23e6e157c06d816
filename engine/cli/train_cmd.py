"""`noisescope train {diffusion,vae,gan}`: train a digits model and write it in the bundled format."""

from __future__ import annotations

import importlib
import shlex
from pathlib import Path
from typing import Any

from engine.cli.common import UsageError
from engine.errors import NoisescopeError
from engine.paths import user_data_dir, user_models_dir

FAMILIES = {
    "diffusion": ("engine.training.diffusion", "DiffusionTrainer"),
    "vae": ("engine.training.vae", "VAETrainer"),
    "gan": ("engine.training.gan", "GANTrainer"),
}
DEFAULT_STEPS = {"diffusion": 20000, "vae": 6000, "gan": 6000}
DEFAULT_BATCH = {"diffusion": 64, "vae": 128, "gan": 64}
DESCRIPTIONS = {
    "diffusion": "Class-conditional DDPM (UNet) for 32x32 handwritten digits, with classifier-free guidance.",
    "vae": "Convolutional VAE for 32x32 handwritten digits: a 16-d latent space to browse.",
    "gan": "Class-conditional DCGAN for 32x32 handwritten digits.",
}
LICENCE = ("Weights: trained by Noisescope's own code on MNIST digits (Y. LeCun, C. Cortes, C. J. C. Burges), "
           "CC BY-SA 3.0; see assets/data/DIGITS_LICENSE.md and this model's MODEL_CARD.md.")


def register(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a digits model (diffusion, VAE or GAN)")
    parser.add_argument("family", choices=sorted(FAMILIES), help="which kind of model")
    parser.add_argument("--data", type=Path, help="digits .npz (default: the bundled assets/data/digits.npz)")
    parser.add_argument("--steps", type=int, help="total optimizer steps (default depends on the family)")
    parser.add_argument("--batch", type=int, help="images per step")
    parser.add_argument("--lr", type=float, help="learning rate (default depends on the family)")
    parser.add_argument("--widths", help="channel widths per resolution, comma-separated, e.g. 32,64,64")
    parser.add_argument("--limit", type=int, help="train on only the first N training images (tests)")
    parser.add_argument("--resume", type=Path, metavar="CKPT", help="continue from a checkpoint (its settings win)")
    parser.add_argument("--export-only", action="store_true", help="with --resume: write the model, do not train")
    parser.add_argument("--init", type=Path, metavar="MODEL",
                        help="start from a model folder's weights (diffusion, vae): fresh optimizer, steps carry on")
    parser.add_argument("--label-dropout", type=float, metavar="P",
                        help="diffusion: share of labels dropped to the null label (unguided samples); "
                             "default 0.12; overrides a --resume checkpoint's")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--threads", type=int, help="CPU threads torch may use (default: torch's choice)")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast (diffusion; faster on recent CPUs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", help="model name (default digits-FAMILY)")
    parser.add_argument("--out", type=Path, help="model folder to write (default: the user models folder)")
    parser.add_argument("--checkpoint-dir", type=Path, help="where checkpoints and sample grids go")
    parser.add_argument("--checkpoint-every", type=float, default=180.0, metavar="SECONDS")
    parser.add_argument("--sample-every", type=int, default=1000, metavar="N",
                        help="export the model and write a sample grid every N steps (0: never)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run_train)


def command_line(settings: dict[str, Any]) -> str:
    """The `noisescope train` line that gives these settings (recorded in the model)."""
    words = ["noisescope", "train", settings["family"], "--steps", str(settings["steps"]),
             "--batch", str(settings["batch"]), "--lr", f"{settings['lr']:g}",
             "--widths", ",".join(str(w) for w in settings["widths"]), "--seed", str(settings["seed"])]
    if settings.get("limit"):
        words += ["--limit", str(settings["limit"])]
    if settings.get("bf16"):
        words.append("--bf16")
    if settings.get("init"):
        words += ["--init", str(settings["init"])]
    if "label_dropout" in settings and settings["label_dropout"] != 0.12:
        words += ["--label-dropout", f"{settings['label_dropout']:g}"]
    return shlex.join(words)


def _family_module(family: str):
    return importlib.import_module(FAMILIES[family][0])


def _settings(args) -> dict[str, Any]:
    settings: dict[str, Any] = {"family": args.family, "seed": args.seed,
                                "steps": args.steps or DEFAULT_STEPS[args.family],
                                "batch": args.batch or DEFAULT_BATCH[args.family], "bf16": args.bf16}
    module = importlib.import_module(FAMILIES[args.family][0])
    settings = {**module.DEFAULTS, **settings}
    if args.lr is not None:
        settings["lr"] = args.lr
    if args.widths:
        try:
            settings["widths"] = [int(w) for w in args.widths.split(",")]
        except ValueError:
            raise UsageError(f"--widths must be comma-separated integers, not {args.widths!r}") from None
    if args.limit is not None:
        settings["limit"] = args.limit
    if args.label_dropout is not None:
        settings["label_dropout"] = args.label_dropout
    return settings


def _check(args) -> None:
    for name in ("steps", "batch", "limit", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name} must be at least 1, not {value}")
    if args.sample_every < 0:
        raise UsageError(f"--sample-every must be 0 or more, not {args.sample_every}")
    if args.device not in ("auto", "cpu", "cuda") and not args.device.startswith("cuda:"):
        raise UsageError(f"--device must be auto, cpu or cuda, not {args.device!r}")
    if args.export_only and not args.resume:
        raise UsageError("--export-only needs --resume CKPT")
    if args.resume and not args.resume.is_file():
        raise UsageError(f"--resume: no checkpoint at {args.resume}")
    if args.data and not args.data.is_file():
        raise UsageError(f"--data: no file at {args.data}")
    if args.label_dropout is not None and (args.family != "diffusion" or not 0 <= args.label_dropout < 1):
        raise UsageError(f"--label-dropout is for diffusion, a share from 0 to below 1, not {args.label_dropout}")
    if args.init and (args.resume or args.family == "gan"):
        raise UsageError("--init starts a diffusion or vae run from a model folder; it does not combine with "
                         "--resume, and a GAN model holds only its generator (resume its checkpoint instead)")


def _init(trainer, folder: Path, settings: dict[str, Any]) -> None:
    from engine.training.init_weights import read_init, start_from

    try:
        start_from(trainer, *read_init(folder, trainer.family))
    except ValueError as exc:
        raise UsageError(f"--init: {folder}: {exc}") from None
    settings.update(init=str(folder), start_step=trainer.step)
    trainer.settings["start_step"] = trainer.step
    if trainer.step >= settings["steps"]:
        raise UsageError(f"--init: {folder} has trained {trainer.step} steps already; ask for more with --steps")


def run_train(args) -> int:
    _check(args)
    import torch

    from engine.training import data as digits_data
    from engine.training import loop
    from engine.training.checkpoint import load_checkpoint

    if args.threads:
        torch.set_num_threads(args.threads)
    settings = _settings(args)
    if args.resume:
        try:
            saved = load_checkpoint(args.resume, _family_module(args.family).DEFAULTS)
        except (ValueError, NoisescopeError) as exc:
            raise UsageError(f"--resume: {exc}") from None
        if saved["family"] != args.family:
            raise UsageError(f"--resume: {args.resume} is a {saved['family']} checkpoint, not {args.family}")
        settings = {**saved["settings"], **({"steps": args.steps} if args.steps else {}),
                    **({"label_dropout": args.label_dropout} if args.label_dropout is not None else {})}
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise UsageError("--device cuda: no CUDA device here; use --device cpu or auto")
    try:
        train_set, _ = digits_data.split(digits_data.load_digits(args.data))
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"cannot read the digits data: {exc}") from None
    if settings.get("limit"):
        train_set = digits_data.Digits(train_set.images[: settings["limit"]], train_set.labels[: settings["limit"]])

    torch.manual_seed(settings["seed"])  # model initialisation
    generator = torch.Generator().manual_seed(settings["seed"])  # every random draw of training
    try:
        trainer = getattr(_family_module(args.family), FAMILIES[args.family][1])(settings, train_set, generator, device)
        elapsed = loop.resume(trainer, generator, args.resume) if args.resume else 0.0
        if args.init:
            _init(trainer, args.init, settings)
    except (KeyError, TypeError, ValueError, RuntimeError, NoisescopeError) as exc:
        if not args.resume:
            raise
        # Settings and state of the right types that still do not fit this trainer (shapes, keys).
        text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"--resume: {args.resume}: the checkpoint does not fit a {args.family} trainer "
                         f"({type(exc).__name__}: {text})") from None
    name = args.name or f"digits-{args.family}"
    settings["command"] = command_line(settings)
    run = loop.Run(
        name=name, steps=settings["steps"], out=args.out or user_models_dir() / name,
        checkpoint_dir=args.checkpoint_dir or user_data_dir() / "training" / name,
        sample_every=args.sample_every, checkpoint_every_s=args.checkpoint_every, settings=settings,
        progress=not args.quiet, device=str(device) if device.type != "cpu" else f"cpu ({torch.get_num_threads()} threads)",
        metadata={"description": DESCRIPTIONS[args.family], "licence": LICENCE,
                  "data": {"name": "digits (MNIST subset)", "file": "assets/data/digits.npz",
                           "train_images": len(train_set.images),
                           "held_out_per_class": digits_data.HELD_OUT_PER_CLASS,
                           "attribution": "MNIST: Y. LeCun, C. Cortes, C. J. C. Burges (CC BY-SA 3.0)"}},
    )
    if args.export_only:
        folder = loop.export(run, trainer, elapsed)
    else:
        folder = loop.train(run, trainer, generator, elapsed)
    print(f"wrote {folder} (step {trainer.step})")
    return 0
