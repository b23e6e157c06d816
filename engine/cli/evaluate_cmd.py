"""`noisescope evaluate MODEL`: how recognisable, varied and original a digits model's samples are.

A model the digit classifier cannot judge (colour or another size) is measured instead against the
image folder it was trained on (--images, or the one its config records): how near its samples come
to their training images (engine/training/image_originality.py); with --card, a card of its data,
training, loss curve, sample grid and those figures (engine/training/image_card.py). A digits
model's --card also draws its samples.png again (a row per label, and one without a label)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.cli.common import UsageError, print_json
from engine.cli.ray_options import add_ray_options, ray_pool_from_args
from engine.recipe import DEFAULT_STEPS


def register(subparsers) -> None:
    parser = subparsers.add_parser("evaluate", help="quality figures of a digits model (vs real held-out digits)")
    parser.add_argument("model", help="model name (see `noisescope models`) or folder")
    parser.add_argument("--count", type=int, default=500, help="samples to draw (default 500)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS,
                        help=f"sampler steps for diffusion models (default {DEFAULT_STEPS}, as the app and generate)")
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--data", type=Path, help="digits .npz (default: the bundled one)")
    parser.add_argument("--images", type=Path, metavar="FOLDER",
                        help="a colour model: the image folder it was trained on, to measure how near its samples "
                             "come to their training images (default: the folder its config records, if it is here)")
    parser.add_argument("--classifier", type=Path, help="classifier weights (default: the bundled one); trained and saved there if missing")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--card", nargs="?", const=True, type=Path, metavar="PATH",
                        help="write the figures into the model card (default: MODEL_CARD.md in the model's folder): "
                             "its <!-- figures:start/end --> block, and a row of its <!-- curve:start/end --> table")
    add_ray_options(parser)
    parser.set_defaults(func=run_evaluate)


CARD_NAME = "MODEL_CARD.md"  # --card with no path: this file in the model's folder


def _row(name: str, figures: dict[str, Any], width: int) -> str:
    accuracy = figures.get("label_accuracy")
    copies, memorised = figures.get("copies"), figures.get("memorised")
    return (f"{name:{width}} {figures['samples']:7d} {figures['confident']:9.1%} {figures['coverage']:5d}/10 "
            f"{'' if accuracy is None else f'{accuracy:.1%}':>9} {figures['nearest_train_median']:8.2f} "
            f"{'' if copies is None else f'{copies:.1%}':>7} {'' if memorised is None else f'{memorised:.1%}':>9}"
            f"  {figures['histogram']}")


def run_evaluate(args) -> int:
    if args.count < 10:
        raise UsageError(f"--count must be at least 10, not {args.count}")
    if _not_digits(args.model):
        return _image_card(args)
    if args.images is not None:
        raise UsageError("--images is for a colour model (the folder it was trained on); a digits model is measured "
                         "against the bundled digits (--data)")
    card = _card_path(args) if args.card is not None else None
    from engine.errors import NoisescopeError
    from engine.training.classifier import load_or_train_classifier
    from engine.training.data import load_digits, split
    from engine.training.evaluate import evaluate_model, reference

    try:
        train, held_out = split(load_digits(args.data))
        classifier = load_or_train_classifier(args.classifier, train)
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"cannot read the digits data or classifier: {exc}") from None
    real = reference(classifier, train, held_out)
    try:
        with _sampling(args) as sampling:
            result = evaluate_model(args.model, classifier, train, real, count=args.count, seed=args.seed,
                                    steps=args.steps, **sampling)
    except NoisescopeError as exc:
        raise UsageError(str(exc)) from None
    result["real_reference"] = real
    if card is not None:
        result["card"] = str(_write_card(args, card, result))
        result["samples"] = str(_write_samples(args))
    if args.json:
        print_json(result)
        return 0
    rows = [("real held-out digits", real), (f"{result['model']} (no label)", result["unconditional"])]
    rows += [(name, result[key]) for key, name in (("unguided", "no label, unguided"),
                                                    ("conditional", f"{result['model']} (label asked)"),
                                                    ("standard_prior", "standard prior (plain VAE)")) if key in result]
    width = max(len(name) for name, _ in rows)  # a long model name widens the column, not the row
    print(f"{'':{width}} {'samples':>7} {'conf>0.9':>9} {'cover':>8} {'label acc':>9} {'nn dist':>8} {'copies':>7} "
          f"{'memorised':>9}  classes")
    for name, figures in rows:
        print(_row(name, figures, width))
    if "card" in result:
        print(f"figures written into {result['card']} and samples drawn into {result['samples']}")
    return 0


@contextlib.contextmanager
def _sampling(args) -> Iterator[dict[str, Any]]:
    """With --ray, the arguments that have the samples drawn by the workers (the figures are computed here)."""
    with ray_pool_from_args(args) as pool:
        if pool is None:
            yield {}
            return
        from engine.cluster.ray_evaluate import batch_for, sample_on_ray

        yield {"sample": sample_on_ray(pool), "batch": batch_for(args.count, pool.workers)}


def _not_digits(model: str) -> bool:
    """A model whose samples are not 32x32 grey, so not for the digit classifier."""
    from engine.errors import NoisescopeError
    from engine.models import find_model

    try:
        info = find_model(str(model))
    except NoisescopeError:
        return False  # the digits path says what is wrong with the name
    return (info.channels, info.height, info.width) != (1, 32, 32)


def _image_card(args) -> int:
    """A non-digits model: how near its samples come to its training images (when the folder is here),
    and with --card its grid of samples drawn into samples.png beside it, and the card."""
    from engine.errors import NoisescopeError
    from engine.models import find_model
    from engine.models.formats.noisescope import is_bundled_folder, read_config
    from engine.training.image_card import ORIGINALITY_ROWS

    info = find_model(str(args.model))
    folder = Path(info.source)
    if not is_bundled_folder(folder):
        raise UsageError(f"evaluate measures 32x32 grey digits models and Noisescope model folders; {info.name} is "
                         "neither")
    try:
        config = read_config(folder)
    except NoisescopeError as exc:
        raise UsageError(str(exc)) from None
    images = _training_folder(args, config)
    if args.card is not None:
        _check_image_card(folder / CARD_NAME if args.card is True else args.card)
    if args.card is None and images is None:
        raise UsageError(f"{info.name} makes {info.height}x{info.width}x{info.channels} images, which the digit "
                         f"classifier cannot judge: `noisescope evaluate {info.name} --images FOLDER` (the folder it "
                         "was trained on) measures its copies, and --card writes its card")
    figures = _originality(args, info, config, images) if images is not None else None
    result: dict[str, Any] = {"model": info.name, **({"originality": figures} if figures else {})}
    if args.card is not None:
        result.update(_write_image_card(args, info, folder, config, figures))
    if args.json:
        print_json(result)
        return 0
    if figures:
        reference = figures["training_images"]
        print(f"{info.name} against {images} ({reference['samples']:,} training images; their median distance to "
              f"the nearest other one: {reference['nearest_train_median']:.2f})")
        print(f"{'':12} {'samples':>7} {'nearest':>8} {'copies':>7} {'memorised':>9}")
        for key, name in ORIGINALITY_ROWS:
            if key in figures:
                row = figures[key]
                print(f"{name:12} {row['samples']:7d} {row['nearest_train_median']:8.2f} {row['copies']:7.1%} "
                      f"{row['memorised']:9.1%}")
    if args.card is not None:
        print(f"wrote {result['card']} and its samples {result['samples']}")
    return 0


def _check_image_card(path: Path) -> None:
    from engine.training.image_card import check_image_card
    from engine.training.model_card import CardError

    try:
        check_image_card(path)
    except (OSError, CardError) as exc:
        raise UsageError(f"--card: {exc}") from None


def _training_folder(args, config: dict[str, Any]) -> Path | None:
    """--images, else the folder the model's config says it was trained on if it is on this machine."""
    if args.images is not None:
        if not args.images.is_dir():
            raise UsageError(f"--images: {args.images} is not a folder: give the image folder the model was trained on")
        return args.images
    recorded = config.get("training", {}).get("arguments", {}).get("images")
    return Path(recorded) if isinstance(recorded, str) and Path(recorded).is_dir() else None


def _originality(args, info, config: dict[str, Any], images: Path) -> dict[str, Any]:
    from engine.errors import NoisescopeError
    from engine.training.image_folder import load_image_folder
    from engine.training.image_originality import measure

    arguments = config.get("training", {}).get("arguments", {})
    try:
        train = load_image_folder(images, size=info.height, background=arguments.get("background", "white"))
    except (OSError, ValueError) as exc:  # its messages name the folder or the file
        raise UsageError(str(exc)) from None
    try:
        with _sampling(args) as sampling:
            figures = measure(info.source, list(info.labels or []), train, count=args.count, seed=args.seed,
                              steps=args.steps, **sampling)
    except (OSError, ValueError, RuntimeError, NoisescopeError) as exc:
        raise UsageError(f"{images}: {exc}") from None
    per_label = f", {figures['conditional']['samples'] // len(info.labels)} per label" if "conditional" in figures else ""
    figures["how"] = (f"`noisescope evaluate {info.name} --count {args.count} --seed {args.seed} --steps {args.steps}` "
                      f"({args.count} samples without a label{per_label}, {args.steps} DPM-Solver++ steps, the "
                      "model's default guidance).")
    return figures


def _write_image_card(args, info, folder: Path, config: dict[str, Any], figures: dict[str, Any] | None
                      ) -> dict[str, Any]:
    from engine.errors import NoisescopeError
    from engine.models.formats.noisescope import weights_path
    from engine.models.safetensors_header import safetensors_parameter_count
    from engine.training.grid import save_grid
    from engine.training.image_card import write_image_card
    from engine.training.model_card import CardError
    from engine.training.sampling import card_samples

    path = folder / CARD_NAME if args.card is True else args.card
    try:
        grid = save_grid(card_samples(info, steps=args.steps), folder / "samples.png", scale=2)
        written = write_image_card(path, config, safetensors_parameter_count(weights_path(folder, config)),
                                   grid.name if grid.parent == path.parent else str(grid), figures)
    except (OSError, RuntimeError, CardError, NoisescopeError) as exc:
        raise UsageError(f"--card: {exc}") from None
    return {"card": str(written), "samples": str(grid)}


def _write_samples(args) -> Path:
    """samples.png beside the card's model (engine.training.sampling.card_samples)."""
    from engine.errors import NoisescopeError
    from engine.models import find_model
    from engine.training.grid import save_grid
    from engine.training.sampling import card_samples

    info = find_model(str(args.model))
    try:
        return save_grid(card_samples(info, steps=args.steps), Path(info.source) / "samples.png")
    except (OSError, RuntimeError, NoisescopeError) as exc:
        raise UsageError(f"--card: the samples could not be drawn: {exc}") from None


def _card_path(args) -> Path:
    """The card --card names (checked before minutes of sampling, so a card without a block fails fast)."""
    from engine.errors import NoisescopeError
    from engine.models import find_model
    from engine.training.model_card import CardError, check_card

    try:
        folder = Path(find_model(str(args.model)).source)
    except NoisescopeError as exc:
        raise UsageError(str(exc)) from None
    path = folder / CARD_NAME if args.card is True else args.card
    try:
        check_card(path)
    except (OSError, CardError, NoisescopeError) as exc:
        raise UsageError(f"--card: {exc}") from None
    return path


def _write_card(args, path: Path, result: dict[str, Any]) -> Path:
    """The figures into the model's card; the curve row is keyed by the model's recorded training steps."""
    from engine.errors import NoisescopeError
    from engine.models import find_model
    from engine.models.formats.noisescope import is_bundled_folder, read_config
    from engine.training.init_weights import model_step
    from engine.training.model_card import CardError, write_card

    info = find_model(str(args.model))
    folder = Path(info.source)
    diffusion = info.family == "diffusion"
    guided = f", guidance {info.default_guidance:g} when a label is asked" if info.default_guidance else ""
    try:
        steps = model_step(read_config(folder)) if is_bundled_folder(folder) else 0
        how = (f"`noisescope evaluate {info.name} --count {args.count} --seed {args.seed}"
               + (f" --steps {args.steps}`" if diffusion else "`")
               + f" ({result['unconditional']['samples']} samples"
               + (f", {args.steps} DPM-Solver++ steps" if diffusion else "") + guided
               + ("; z from its fitted latent prior, and from N(0, I) for the standard-prior row, the same seeds"
                  if info.latent_prior else "")
               + (f"; no label: autoguided by {info.default_guide} (w {info.default_guide_guidance:g}, the "
                  "model's default), and the same seeds without it for the unguided row"
                  if info.default_guide else "")
               + (f"; the model had trained {steps:,} steps" if steps else "") + "):")
        return write_card(path, result, how, steps or None, info.description)
    except (OSError, CardError, NoisescopeError) as exc:
        raise UsageError(f"--card: {exc}") from None
