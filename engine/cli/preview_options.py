"""`--preview {approx,taesd,vae,none}` and `--taesd FOLDER`: how a latent (Stable Diffusion) model's
steps are previewed (engine/preview_modes.py). Not part of the recipe: the image made is the same.
Checked before the run, so a wrong word or folder costs no model load."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.cli.common import UsageError
from engine.errors import InvalidRecipe
from engine.preview_modes import (
    PreviewMode,
    PreviewSettings,
    preview_mode,
    preview_settings,
    set_preview_settings,
)

CHOICES = ", ".join(m.value for m in PreviewMode)


def add_preview_options(parser) -> None:
    parser.add_argument("--preview-budget", type=float, metavar="GB",
                        help="memory for the previews of the steps; past it every k-th step is kept (default: "
                             "the settings file's preview_budget_gb, else 2; 0: no limit)")
    parser.add_argument("--preview", metavar="{" + CHOICES.replace(", ", ",") + "}",
                        help="how a Stable Diffusion model's steps are previewed: approx (a fixed colour map, "
                             "costs nothing; the default), taesd (the tiny autoencoder: needs --taesd), vae (the "
                             "model's own VAE: exact, slow) or none (no step previews, no latents kept)")
    parser.add_argument("--taesd", type=Path, metavar="FOLDER",
                        help="a diffusers AutoencoderTiny folder (madebyollin/taesd, or taesdxl for SDXL) for "
                             "--preview taesd (given alone, it means --preview taesd)")


def preview_settings_from_args(args) -> PreviewSettings:
    """The settings the options ask for; UsageError saying what is wrong and what to do."""
    try:
        mode = preview_mode(args.preview) if args.preview is not None else None
    except InvalidRecipe as exc:
        raise UsageError(f"--{exc.message}") from None
    folder = args.taesd
    if mode is None:
        mode = PreviewMode.TAESD if folder is not None else preview_settings().mode
    if mode == PreviewMode.TAESD:
        if folder is None:
            raise UsageError("--preview taesd needs --taesd FOLDER (a diffusers AutoencoderTiny folder: "
                             "madebyollin/taesd, or taesdxl for SDXL); or use --preview approx")
        folder = folder.expanduser()
        if not folder.is_dir():
            raise UsageError(f"--taesd {folder}: no such folder; give a diffusers AutoencoderTiny folder "
                             "(madebyollin/taesd, or taesdxl for SDXL), or use --preview approx")
        if not (folder / "config.json").is_file():
            raise UsageError(f"--taesd {folder}: no config.json there, so it is not a diffusers AutoencoderTiny "
                             "folder (madebyollin/taesd, or taesdxl for SDXL); or use --preview approx")
    elif folder is not None:
        raise UsageError(f"--taesd applies to --preview taesd, not --preview {mode}; leave one of them out")
    return PreviewSettings(mode, folder)


@contextmanager
def previewing(settings: PreviewSettings) -> Iterator[None]:
    """This command's runs preview as asked; the process's setting is restored after (a command run
    in-process, by a test or a bench, leaves nothing behind)."""
    before = preview_settings()
    set_preview_settings(settings)
    try:
        yield
    finally:
        set_preview_settings(before)


def preview_budget_from_args(args) -> int | None:
    """Bytes of step previews a run keeps (None: no limit): --preview-budget, else the settings file's."""
    from engine.config_file import preview_budget
    from engine.memory import GB

    if args.preview_budget is None:
        return preview_budget()
    if not args.preview_budget >= 0:  # also NaN
        raise UsageError(f"--preview-budget must be 0 (no limit) or more GB, not {args.preview_budget:g}")
    return int(args.preview_budget * GB) or None


def refuse_steps_without_previews(settings: PreviewSettings, formats: tuple[str, ...], pipeline: str | None) -> None:
    """--preview none on a latent model records no steps (that is what makes it the fastest): the
    exports made of steps (the trajectory, animations, the contact sheet, the ZIP) would have nothing in
    them. Said before the run, with what to do, not after it as a failed export."""
    from engine.export.formats.base import Needs
    from engine.export.formats.registry import get

    if settings.mode != PreviewMode.NONE or pipeline != "text-to-image":
        return
    wanted = [f for f in formats if get(f).needs == Needs.STEPS]
    if wanted:
        raise UsageError(f"--preview none records no steps (no previews, no latents), so there is nothing for "
                         f"{', '.join(wanted)}; use --preview approx (a colour map: under 1% of a step, and it "
                         "keeps every step's latents for `noisescope decode`), or leave those exports out")
