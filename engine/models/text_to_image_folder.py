"""Loading Stable Diffusion / SDXL pipeline folders with diffusers' own from_pretrained, offline.

The folder was described (and its components checked) by formats/stable_diffusion.py. Nothing is
fetched (local_files_only), .bin weights go through torch.load(weights_only=True) inside diffusers
and transformers, and no safety checker is loaded (Noisescope shows every step anyway).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import torch

from engine.errors import ModelLoadError
from engine.models.formats.stable_diffusion import weights_variant
from engine.models.info import ModelInfo
from engine.models.loaded import TextToImageModel


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    """No progress bars or install advice (accelerate, torchvision) on the CLI's stderr while loading."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    libraries = (diffusers_logging, transformers_logging)
    levels = [library.get_verbosity() for library in libraries]
    for library in libraries:
        library.set_verbosity_error()
        library.disable_progress_bar()
    try:
        yield
    finally:
        for library, level in zip(libraries, levels, strict=True):
            library.set_verbosity(level)
            library.enable_progress_bar()


def load_text_to_image(info: ModelInfo, device: torch.device, dtype: torch.dtype) -> TextToImageModel:
    import diffusers

    folder = Path(info.source)
    class_name = "StableDiffusionXLPipeline" if info.latent_space == "sdxl" else "StableDiffusionPipeline"
    extra = {} if info.latent_space == "sdxl" else {"safety_checker": None, "feature_extractor": None,
                                                    "requires_safety_checker": False}
    try:
        with quiet_libraries():
            pipeline_class = getattr(diffusers, class_name)  # imports transformers: its warnings are quieted too
            pipe = pipeline_class.from_pretrained(folder, local_files_only=True, dtype=dtype,
                                                  variant=weights_variant(folder), **extra)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"{folder}: diffusers cannot load this {class_name} ({first_line}); "
                             "check that the folder is complete") from None
    pipe.set_progress_bar_config(disable=True)
    pipe.to(device)
    return TextToImageModel(info, pipe, device, dtype)
