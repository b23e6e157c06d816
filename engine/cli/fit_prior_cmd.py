"""`noisescope fit-prior MODEL_FOLDER`: fit a digits VAE's latent prior and write it into the model.

The prior (one Gaussian per digit class, engine/training/latent_prior_fit.py) goes into the weights
file as the `latent_prior.` tensors, replacing any fitted before, and config.json gets
latent_prior, the labels and training.latent_prior (this command and the fit's figures); both files
land together. The weights change, so the model's hash does: recipes name the prior they ran with.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from engine.cli.common import UsageError, print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "fit-prior", help="fit a digits VAE's latent prior (a Gaussian per class) to its encoded training digits")
    parser.add_argument("folder", type=Path, help="the VAE's model folder (config.json and model.safetensors)")
    parser.add_argument("--data", type=Path, help="digits .npz (default: the bundled one); its training split is used")
    parser.add_argument("--spread", type=float, default=1.0, metavar="S",
                        help="scale each class's Gaussian by S (its standard deviations; default 1, the moment "
                             "match): above 1 draws fewer samples near any one training digit, less recognisable ones")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_fit_prior)


def run_fit_prior(args) -> int:
    import torch

    from engine.errors import NoisescopeError
    from engine.models.architectures import build_module
    from engine.models.bundled import load_state
    from engine.models.bundled_writer import write_model_files
    from engine.models.formats.noisescope import (
        PRIOR_KIND,
        is_bundled_folder,
        parameter_count,
        read_config,
        weights_path,
    )
    from engine.models.latent_prior import split_prior
    from engine.models.weights import read_weights
    from engine.training.data import IMAGE_SIZE, load_digits, split
    from engine.training.latent_prior_fit import MAX_SPREAD, MIN_SPREAD, fit_prior

    folder = args.folder
    if not MIN_SPREAD <= args.spread <= MAX_SPREAD:
        raise UsageError(f"--spread must be from {MIN_SPREAD} to {MAX_SPREAD}, not {args.spread}")
    if not folder.is_dir() or not is_bundled_folder(folder):
        raise UsageError(f"{folder} is not a Noisescope model folder (config.json with format noisescope-model)")
    try:
        config = read_config(folder)
        weights = weights_path(folder, config)
        if config["family"] != "vae" or config["architecture"] != "ConvVAE":
            raise UsageError(f"{folder} is a {config['family']} model ({config['architecture']}); fit-prior fits "
                             "the latent prior of a VAE with an encoder (ConvVAE)")
        if (config["channels"], config["height"], config["width"]) != (1, IMAGE_SIZE, IMAGE_SIZE):
            raise UsageError(f"{folder} makes {config['height']}x{config['width']}x{config['channels']} images; the "
                             f"prior is fitted to the 32x32 grey digits")
        if weights.suffix.lower() != ".safetensors":
            raise UsageError(f"{weights}: fit-prior writes the prior into a .safetensors weights file")
        module = build_module(config["architecture"], config["architecture_config"], folder / "config.json",
                              parameter_count(weights))
        state, _ = split_prior(read_weights(weights))  # an older prior is replaced, whatever it held
        load_state(module, state, folder)
    except NoisescopeError as exc:
        raise UsageError(str(exc)) from None
    try:
        train, _ = split(load_digits(args.data))
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"cannot read the digits data: {exc}") from None
    command = shlex.join(["noisescope", "fit-prior", str(folder)]
                         + (["--data", str(args.data)] if args.data else [])
                         + (["--spread", f"{args.spread:g}"] if args.spread != 1.0 else []))
    fitted = fit_prior(module.to(torch.float32), train, command, spread=args.spread)
    config["labels"], config["latent_prior"] = fitted.labels, PRIOR_KIND
    training = config.get("training")
    config["training"] = {**(training if isinstance(training, dict) else {}), "latent_prior": fitted.record}
    try:
        write_model_files(folder, config, {**state, **fitted.prior.tensors()})
    except NoisescopeError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print_json({"folder": str(folder), **fitted.record})
    else:
        record = fitted.record
        print(f"fitted the latent prior of {folder}: {len(fitted.labels)} classes ({record['images']:,} training "
              f"digits), per class {record['per_class']}; class spread {record['class_std']:.3f}, mean distance "
              f"between class means {record['between_class_distance']:.3f}"
              + (f", widened x{args.spread:g}" if args.spread != 1.0 else "") + f"; written into {weights.name} and "
              "config.json")
    return 0
