"""`noisescope models`: what can be generated from, grouped by kind; and the saved models folders."""

from __future__ import annotations

from pathlib import Path

from engine import config_file
from engine.cli.common import UsageError, add_model_path_option, print_json
from engine.errors import NoisescopeError
from engine.models import ModelInfo, discover_models
from engine.paths import bundled_models_dir, user_models_dir

# Headings of `noisescope models`, in order: (pipeline, heading).
KINDS = (("text-to-image", "Text to image (Stable Diffusion)"),
         ("class-conditional-diffusion", "Diffusion (unconditional or class labels)"),
         ("decoder", "VAE and GAN decoders"))


def register(subparsers) -> None:
    parser = subparsers.add_parser("models", help="list the available models")
    parser.add_argument("--model", dest="extra_model", metavar="PATH", help="also list the model at PATH")
    add_model_path_option(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--add-folder", metavar="DIR", type=Path, action="append", default=[],
                        help="save DIR in the settings file's models folders (the window reads them too)")
    parser.add_argument("--remove-folder", metavar="DIR", type=Path, action="append", default=[],
                        help="remove DIR from the saved models folders")
    parser.set_defaults(func=run_models)


def kind_of(info: ModelInfo) -> str:
    return dict(KINDS).get(info.pipeline, info.pipeline)


def _norm(folder: Path) -> str:
    return str(folder.expanduser().resolve())


def _edit_folders(add: list[Path], remove: list[Path]) -> None:
    folders = config_file.saved_models_folders()
    saved = {_norm(f) for f in folders}
    for folder in add:
        if not folder.expanduser().is_dir():
            raise UsageError(f"--add-folder {folder}: no such folder")
        if _norm(folder) not in saved:
            folders.append(Path(_norm(folder)))
            saved.add(_norm(folder))
    for folder in remove:
        if _norm(folder) not in saved:
            raise UsageError(f"--remove-folder {folder}: not a saved models folder")
    gone = {_norm(f) for f in remove}
    try:
        path = config_file.save_models_folders([f for f in folders if _norm(f) not in gone])
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
    print(f"models folders saved in {path}")


def run_models(args) -> int:
    if args.add_folder or args.remove_folder:
        _edit_folders(args.add_folder, args.remove_folder)
    paths = list(args.model_paths) + ([args.extra_model] if args.extra_model else [])
    problems: list[str] = []
    models = discover_models(paths, problems)
    folders = [str(f) for f in config_file.models_folders()]
    if args.json:
        print_json({"models": [dict(m.to_dict(), kind=kind_of(m)) for m in models], "problems": problems,
                    "models_folders": folders, "settings_file": str(config_file.config_path())})
        return 0
    if not models:
        print(f"no models found in {bundled_models_dir()}, {user_models_dir()} or the models folders")
    headings = [heading for _, heading in KINDS] + sorted({kind_of(m) for m in models} - set(dict(KINDS).values()))
    for heading in headings:
        group = [m for m in models if kind_of(m) == heading]
        if group:
            print(f"{heading}:")
            for info in group:
                print("  " + _line(info))
    if folders:
        print(f"models folders: {', '.join(folders)}")
    for problem in problems:
        print(f"skipped: {problem}")
    return 0


WHAT_WIDTH = 44  # the labels / description column of the listing


def _line(info: ModelInfo) -> str:
    if info.takes_text:
        what = info.description
    else:
        what = _labels_text(list(info.labels)) if info.labels else "unconditional"
        if info.latent_prior and info.labels:  # the labels pick a Gaussian of the prior, not a decoder input
            what = f"labels {info.labels[0]}-{info.labels[-1]} (fitted latent prior)"
    size = f"{info.width}x{info.height}" + ("" if info.takes_text else f"x{info.channels}")
    params = f"{info.parameters / 1e6:.2f}M params" if info.parameters else ""
    return f"{info.name:24} {size:9} {what:{WHAT_WIDTH}} {params:16} {info.origin}: {info.source}"


def _labels_text(labels: list[str]) -> str:
    """The labels in the column's width: all when they fit, else how many and the first few (`models --json`
    lists them all), so the columns after stay aligned."""
    text = f"labels {', '.join(labels)}"
    if len(text) <= WHAT_WIDTH:
        return text
    shown = f"{len(labels)} labels:"
    for label in labels:
        if len(f"{shown} {label}, ...") > WHAT_WIDTH:
            break
        shown += f" {label},"
    return f"{shown} ..."
