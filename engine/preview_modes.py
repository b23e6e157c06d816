"""How a latent model's steps are previewed while it runs: the mode and where TAESD lives.

Not part of the recipe: the preview changes what is shown, never the image made. The window
(its preview choice) and the CLI (`--preview`, `--taesd`) set it; the text-to-image loop reads it
once when a run starts. Torch-free: the window and the CLI import it at start-up.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InvalidRecipe
from engine.kinds import _Word


class PreviewMode(_Word):
    APPROX = "approx"  # fixed linear latent -> RGB map at latent resolution: costs nothing measurable
    TAESD = "taesd"  # the tiny autoencoder (a TAESD/TAESDXL folder): full size, a few % per step
    VAE = "vae"  # the model's own VAE on every step: exact, slow (a VAE decode per step)
    NONE = "none"  # no step previews (the run is as fast as it can be; no latents kept)


PREVIEW_LABELS = {
    PreviewMode.APPROX: "Approximate (fast)",
    PreviewMode.TAESD: "TAESD (needs its folder)",
    PreviewMode.VAE: "Model's VAE (slow)",
    PreviewMode.NONE: "None",
}


@dataclass(frozen=True)
class PreviewSettings:
    mode: PreviewMode = PreviewMode.APPROX
    taesd: Path | None = None  # a diffusers AutoencoderTiny folder (TAESD for SD1/2, TAESDXL for SDXL)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", preview_mode(self.mode))
        if self.taesd is not None:
            object.__setattr__(self, "taesd", Path(self.taesd).expanduser())


def preview_mode(value: str | PreviewMode) -> PreviewMode:
    """The mode a word names; InvalidRecipe listing the choices."""
    try:
        return PreviewMode(str(value).strip().lower())
    except ValueError:
        raise InvalidRecipe(f"preview {value!r} is not one of {', '.join(m.value for m in PreviewMode)}") from None


_lock = threading.Lock()
_current = PreviewSettings()


def set_preview_settings(settings: PreviewSettings) -> None:
    global _current
    with _lock:
        _current = settings


def preview_settings() -> PreviewSettings:
    """What a run starting now previews with (read once per run, so a change applies to the next)."""
    with _lock:
        return _current
