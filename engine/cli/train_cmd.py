"""`noisescope train {diffusion,vae,gan}`: train a digits model (or a diffusion model on a folder of images,
--images) and write it in the bundled format."""

from __future__ import annotations

import importlib
import shlex
from pathlib import Path
from typing import Any

from engine.cli.common import UsageError, fail
from engine.errors import ExportError, NoisescopeError
from engine.kinds import ErrorKind
from engine.memory import is_out_of_memory
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
    "vae": "Convolutional VAE for 32x32 handwritten digits: a {latent_dim}-d latent space to browse.",
    "gan": "Class-conditional DCGAN for 32x32 handwritten digits.",
}
MIN_LATENT_DIM, MAX_LATENT_DIM = 2, 1024  # the latent map needs a plane; far above what 28x28 digits need
LICENCE = ("Weights: trained by Noisescope's own code on MNIST digits (Y. LeCun, C. Cortes, C. J. C. Burges), "
           "CC BY-SA 3.0; see assets/data/DIGITS_LICENSE.md and this model's MODEL_CARD.md.")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train a digits model (diffusion, VAE or GAN)",
        description="Train a model in Noisescope's bundled format. Ctrl-C (or SIGTERM) stops after the current "
                    "step and writes the checkpoint and the model; press it twice to quit at once.")
    parser.add_argument("family", choices=sorted(FAMILIES), help="which kind of model")
    parser.add_argument("--data", type=Path, help="digits .npz (default: the bundled assets/data/digits.npz)")
    parser.add_argument("--images", type=Path, metavar="DIR",
                        help="diffusion: train on a folder of images instead (one subfolder per class, or none)")
    parser.add_argument("--size", type=int, default=32, help="with --images: the side the images are resized to")
    parser.add_argument("--background", choices=("white", "grey", "black"), default="white",
                        help="with --images: what transparent pixels become")
    parser.add_argument("--steps", type=int, help="total optimizer steps (default depends on the family)")
    parser.add_argument("--minutes", type=float, metavar="M",
                        help="stop after M minutes of this run even if --steps is not reached, and write the "
                             "checkpoint and the model as at the end (a lent GPU's time, a session's)")
    parser.add_argument("--batch", type=int, help="images per step")
    parser.add_argument("--lr", type=float, help="learning rate (default depends on the family)")
    parser.add_argument("--widths", help="channel widths per resolution, comma-separated, e.g. 32,64,64")
    parser.add_argument("--limit", type=int, help="train on only the first N training images (tests)")
    parser.add_argument("--resume", type=Path, metavar="CKPT", help="continue from a checkpoint (its settings win)")
    parser.add_argument("--export-only", action="store_true", help="with --resume: write the model, do not train")
    parser.add_argument("--init", type=Path, metavar="MODEL",
                        help="start from a model folder's weights (diffusion, vae, gan: its generator; the "
                             "discriminator starts afresh): fresh optimizer, steps carry on, and so do its default guidance and guide (same labels)")
    parser.add_argument("--label-dropout", type=float, metavar="P",
                        help="diffusion: share of labels dropped to the null label (unguided samples); "
                             "default 0.12; overrides a --resume checkpoint's")
    parser.add_argument("--beta", type=float, help="vae: weight of the KL term (default 1)")
    parser.add_argument("--latent-dim", type=int, metavar="N",
                        help=f"vae: size of the latent space, {MIN_LATENT_DIM} to {MAX_LATENT_DIM} (default 16)")
    parser.add_argument("--class-loss", type=float, metavar="W",
                        help="gan: weight of the discriminator's classifier loss (AC-GAN; default 0: none)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--threads", type=int, help="CPU threads torch may use (default: torch's choice)")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast (diffusion; faster on recent CPUs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", help="model name (default digits-FAMILY, or FOLDER-diffusion with --images; "
                                         "a --resume run keeps its checkpoint's)")
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
    if settings.get("images"):
        words += ["--images", settings["images"], "--size", str(settings["size"]), "--background",
                  settings["background"]]
    if settings.get("name") and settings["name"] != default_name(settings):
        words += ["--name", settings["name"]]
    if settings.get("bf16"):
        words.append("--bf16")
    if settings.get("init"):
        words += ["--init", str(settings["init"])]
    if "label_dropout" in settings and settings["label_dropout"] != 0.12:
        words += ["--label-dropout", f"{settings['label_dropout']:g}"]
    if settings["family"] == "vae" and settings.get("beta", 1.0) != 1.0:
        words += ["--beta", f"{settings['beta']:g}"]
    if settings["family"] == "vae" and settings.get("latent_dim", 16) != 16:
        words += ["--latent-dim", str(settings["latent_dim"])]
    if settings["family"] == "gan" and settings.get("class_loss"):
        words += ["--class-loss", f"{settings['class_loss']:g}"]
    return shlex.join(words)


def default_name(settings: dict[str, Any]) -> str:
    """The model's name when --name is not given: after the image folder, or digits-FAMILY."""
    if settings.get("images"):
        return f"{Path(settings['images']).name}-diffusion"
    return f"digits-{settings['family']}"


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
    if args.beta is not None:
        settings["beta"] = args.beta
    if args.latent_dim is not None:
        settings["latent_dim"] = args.latent_dim
    if args.class_loss is not None:
        settings["class_loss"] = args.class_loss
    if args.images:
        settings.update(images=str(args.images), size=args.size, background=args.background)
    return settings


def _check(args) -> None:
    for name in ("steps", "batch", "limit", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name} must be at least 1, not {value}")
    if args.minutes is not None and not args.minutes > 0:
        raise UsageError(f"--minutes must be more than 0, not {args.minutes}")
    if args.minutes is not None and args.export_only:
        raise UsageError("--minutes limits training; --export-only does not train")
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
    if args.images and (args.family != "diffusion" or args.data or not args.images.is_dir()):
        raise UsageError(f"--images trains a diffusion model on a folder of images (not with --data); "
                         f"{args.images} must be a folder")
    if not 8 <= args.size <= 256 or args.size % 8:
        raise UsageError(f"--size must be a multiple of 8 from 8 to 256, not {args.size}")
    if args.label_dropout is not None and (args.family != "diffusion" or not 0 <= args.label_dropout < 1):
        raise UsageError(f"--label-dropout is for diffusion, a share from 0 to below 1, not {args.label_dropout}")
    if args.beta is not None and (args.family != "vae" or not args.beta > 0):
        raise UsageError(f"--beta is the KL weight of a vae, more than 0, not {args.beta}")
    if args.latent_dim is not None and (args.family != "vae"
                                        or not MIN_LATENT_DIM <= args.latent_dim <= MAX_LATENT_DIM):
        raise UsageError(f"--latent-dim is the latent size of a vae, a whole number from {MIN_LATENT_DIM} "
                         f"to {MAX_LATENT_DIM}, not {args.latent_dim}")
    if args.class_loss is not None and (args.family != "gan" or not args.class_loss >= 0):
        raise UsageError(f"--class-loss is the classifier-loss weight of a gan, 0 or more, not {args.class_loss}")
    if args.resume and (args.beta is not None or args.class_loss is not None or args.latent_dim is not None):
        raise UsageError("--beta, --class-loss and --latent-dim set up a new run; a --resume run keeps its "
                         "checkpoint's settings")
    if args.init and args.resume:
        raise UsageError("--init starts a run from a model folder; it does not combine with --resume")


def _init(trainer, folder: Path, settings: dict[str, Any]) -> None:
    from engine.training.init_weights import read_init, sampling_defaults, start_from

    try:
        config, weights = read_init(folder, trainer.family)
        start_from(trainer, config, weights)
    except ValueError as exc:
        raise UsageError(f"--init: {folder}: {exc}") from None
    settings.update(init=str(folder), start_step=trainer.step)
    carried = sampling_defaults(config, getattr(trainer, "labels", None))
    if carried:  # in the settings, so a --resume of this run exports them too
        settings["sampling_defaults"] = carried
    trainer.settings["start_step"] = trainer.step
    if trainer.step >= settings["steps"]:
        raise UsageError(f"--init: {folder} has trained {trainer.step} steps already; ask for more with --steps")


def _image_data(settings: dict[str, Any]):
    """The --images training set (all of it: no held-out split) and the config fields that describe it,
    from the folder's dataset.json where it has one."""
    from dataclasses import replace

    from engine.training.image_folder import load_image_folder

    folder = Path(settings["images"])
    try:
        images = load_image_folder(folder, settings["size"], settings["background"])
    except (OSError, ValueError) as exc:
        raise UsageError(f"--images: {exc}") from None
    if settings.get("limit"):
        images = replace(images, images=images.images[: settings["limit"]], labels=images.labels[: settings["limit"]])
    about = images.description
    kind = "Class-conditional" if images.label_names else "Unconditional"
    data = {"name": str(about.get("name", folder.name)), "folder": folder.name, "train_images": len(images.images),
            "classes": len(images.label_names), "background": settings["background"]}
    data.update({key: about[key] for key in ("attribution", "source") if key in about})
    return images, {
        "description": str(about.get("description") or f"{kind} DDPM (UNet) for {settings['size']}x{settings['size']} "
                                                        f"colour images of {data['name']}."),
        "licence": str(about.get("licence", "Weights: trained by Noisescope's own code on " + data["name"] + ".")),
        "data": data}


def run_train(args) -> int:
    _check(args)
    import torch

    from engine.training import data as digits_data
    from engine.training import loop
    from engine.training.checkpoint import load_checkpoint
    from engine.training.stop_signal import StopOnSignal

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
    if settings.get("images"):
        train_set, data_metadata = _image_data(settings)
    else:
        try:
            train_set, _ = digits_data.split(digits_data.load_digits(args.data))
        except (OSError, ValueError, KeyError) as exc:
            raise UsageError(f"cannot read the digits data: {exc}") from None
        if settings.get("limit"):
            train_set = digits_data.Digits(train_set.images[: settings["limit"]],
                                           train_set.labels[: settings["limit"]])
        data_metadata = {
            "description": DESCRIPTIONS[args.family].format(latent_dim=settings.get("latent_dim")), "licence": LICENCE,
            "data": {"name": "digits (MNIST subset)", "file": "assets/data/digits.npz",
                     "train_images": len(train_set.images), "held_out_per_class": digits_data.HELD_OUT_PER_CLASS,
                     "attribution": "MNIST: Y. LeCun, C. Cortes, C. J. C. Burges (CC BY-SA 3.0)"}}

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
    # The name travels in the checkpoint, so a resumed run keeps writing (and exporting) the same model.
    settings["name"] = args.name or settings.get("name") or default_name(settings)
    name = settings["name"]
    settings["command"] = command_line(settings)
    run = loop.Run(
        name=name, steps=settings["steps"], out=args.out or user_models_dir() / name,
        checkpoint_dir=args.checkpoint_dir or user_data_dir() / "training" / name,
        sample_every=args.sample_every, checkpoint_every_s=args.checkpoint_every, settings=settings,
        progress=not args.quiet, device=str(device) if device.type != "cpu" else f"cpu ({torch.get_num_threads()} threads)",
        metadata={**data_metadata, **settings.get("sampling_defaults", {})},
        stop_after_s=None if args.minutes is None else args.minutes * 60,
    )
    try:
        if args.export_only:
            folder = loop.export(run, trainer, elapsed)
        else:
            with StopOnSignal() as stop:
                folder = loop.train(run, trainer, generator, elapsed, stop_requested=stop)
    except ExportError as exc:  # the run's last writes (a full disk): what is left, and how to carry on
        checkpoint = loop.checkpoint_path(run)
        after = (f"; carry on from the last checkpoint written whole with --resume {checkpoint} (--export-only "
                 "writes just the model)" if checkpoint.is_file() else "")
        return fail(f"{exc.message}. Training stopped at step {trainer.step}{after}", exc.kind.exit_code)
    except RuntimeError as exc:
        if not is_out_of_memory(exc):
            raise
        return fail(out_of_memory_message(run, trainer.step, device, settings), ErrorKind.OUT_OF_MEMORY.exit_code)
    if not args.export_only and trainer.step < settings["steps"]:
        why = f"on {stop.requested}" if stop.requested else f"after {args.minutes:g} minutes (--minutes)"
        print(f"stopped {why} at step {trainer.step} of {settings['steps']}; "
              f"carry on with --resume {loop.checkpoint_path(run)}")
    print(f"wrote {folder} (step {trainer.step}); {where_to_find(folder, name)}")
    return 0


def out_of_memory_message(run, step: int, device, settings: dict[str, Any]) -> str:
    """What to change when a step does not fit. The loop exported the model as of the last whole step
    (a --resume run would keep the batch that did not fit), so a smaller batch can start from it."""
    widths = ",".join(str(width) for width in settings.get("widths", []))
    bf16 = device.type == "cuda" and settings.get("family") == "diffusion" and not settings.get("bf16")
    again = (f"; to keep what was learned, start from the model exported at step {step} with --init {run.out}"
             if (run.out / "config.json").is_file() else "")
    return (f"out of memory on {device} at step {step + 1}: a smaller --batch (now {settings.get('batch')}) or "
            f"--widths (now {widths}){', or --bf16,' if bf16 else ''} needs less{again}")


def where_to_find(folder: Path, name: str) -> str:
    """How to use the model just written: the studio lists the folders of its model roots."""
    from engine.models.catalog import default_roots

    if any(folder.resolve().parent == root.resolve() for root, _ in default_roots()):
        return f"the studio lists it as {name}, and `noisescope generate --model {name}` uses it"
    return (f"`noisescope generate --model {folder}` uses it; for the studio to list it, add {folder.parent} "
            "under File > Models folders")
