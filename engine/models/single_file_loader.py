"""Loading a single-file SD 1.x/2.x/XL checkpoint with diffusers' from_single_file, offline.

The architecture was told from the keys (checkpoint_architecture.py); its configs ship in
assets/configs/<id>/ and are passed as `config=` with local_files_only=True, and the CLIP
tokenizers are built here from assets/configs/clip-tokenizer/, so nothing is fetched.
A .ckpt is first read inertly (checkpoint_header.py: refused there if it needs any code), and
diffusers then opens it with torch.load(weights_only=True).
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import torch

from engine.errors import ModelLoadError, UnsafeModelFile
from engine.models.checkpoint_architecture import Architecture, classify
from engine.models.checkpoint_header import read_header, refusal_message
from engine.models.info import ModelInfo
from engine.models.loaded import TextToImageModel
from engine.models.text_to_image_folder import quiet_libraries  # the folder loader's: one way to hush them
from engine.models.weights import refused_class

OPEN_CLIP_PAD = "!"  # OpenCLIP (SD 2.x, SDXL's second encoder) pads with "!", OpenAI's CLIP with <|endoftext|>


def configs_dir() -> Path:
    # Beside the code, not under NOISESCOPE_ASSETS (which moves the bundled models): these are facts
    # about the architectures, part of the program like its source.
    return Path(__file__).resolve().parents[2] / "assets" / "configs"


def clip_tokenizer(pad_token: str = "<|endoftext|>") -> Any:
    from transformers import CLIPTokenizer

    folder = configs_dir() / "clip-tokenizer"
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77,
                         pad_token=pad_token)


def _components(arch: Architecture) -> dict[str, Any]:
    if arch.latent_space == "sdxl":
        return {"tokenizer": clip_tokenizer(), "tokenizer_2": clip_tokenizer(OPEN_CLIP_PAD)}
    pad = OPEN_CLIP_PAD if arch.id.startswith("sd2") else "<|endoftext|>"
    return {"tokenizer": clip_tokenizer(pad), "safety_checker": None, "feature_extractor": None,
            "requires_safety_checker": False}


def load_single_file(info: ModelInfo, device: torch.device, dtype: torch.dtype,
                     config_dir: Path | None = None) -> TextToImageModel:
    """config_dir replaces the shipped configs (the tests' tiny architectures)."""
    import diffusers

    path = Path(info.source)
    arch = classify(path, read_header(path))  # raises for unknown kinds and unsafe pickles, before torch
    config = config_dir if config_dir is not None else configs_dir() / arch.id
    try:
        with quiet_libraries():
            pipeline_class = getattr(diffusers, arch.pipeline_class)  # imports transformers: quieted too
            pipe = pipeline_class.from_single_file(str(path), config=str(config), local_files_only=True,
                                                   torch_dtype=dtype, **_components(arch))
    except pickle.UnpicklingError as exc:
        raise UnsafeModelFile(refusal_message(path, refused_class(str(exc)))) from None
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, AttributeError) as exc:
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
        first = text.splitlines()[0][:300] if text else type(exc).__name__
        raise ModelLoadError(f"{path}: cannot load it as {arch.label} ({first}); the file may be truncated "
                             "or not what its keys suggest") from None
    if pipe.scheduler.config.get("prediction_type") != arch.prediction_type:
        pipe.scheduler = type(pipe.scheduler).from_config(pipe.scheduler.config, prediction_type=arch.prediction_type)
    pipe.set_progress_bar_config(disable=True)
    with quiet_libraries():
        pipe.to(device)
    if dtype == torch.float16 and arch.latent_space == "sdxl" and pipe.vae.config.get("force_upcast", False):
        pipe.vae.to(torch.float32)  # SDXL's VAE overflows in fp16, as diffusers knows
    return TextToImageModel(info, pipe, device, dtype)
