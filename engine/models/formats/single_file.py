"""Single-file Stable Diffusion checkpoints, as AUTOMATIC1111 (models/Stable-diffusion) and ComfyUI
(models/checkpoints) keep them: one .safetensors (or .ckpt) holding UNet, VAE and text encoder(s)
in the original key layout.

Described from the safetensors header (or an inert read of the .ckpt pickle) without loading a
weight; loaded by diffusers' from_single_file with the configs in assets/configs/ (nothing is
fetched): engine/models/single_file_loader.py. Torch-free.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import ModelLoadError
from engine.kinds import Family
from engine.models.checkpoint_architecture import classify
from engine.models.checkpoint_header import PICKLE_SUFFIXES, SAFETENSORS_SUFFIXES, read_header
from engine.models.formats import register_format, weights_hash
from engine.models.info import ModelInfo

SUFFIXES = SAFETENSORS_SUFFIXES + (".ckpt",)  # .pt/.pth are rarely whole checkpoints; still readable by path
SD_GUIDANCE = 7.5
TEXT_TO_IMAGE = "text-to-image"


def is_checkpoint_file(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and path.is_file()


def single_file_info(path: Path, origin: str) -> ModelInfo:
    header = read_header(path)
    arch = classify(path, header)
    fmt = "safetensors" if path.suffix.lower() in SAFETENSORS_SUFFIXES else "ckpt"
    return ModelInfo(
        name=path.stem, family=Family.DIFFUSION, format=SingleFileFormat.id, source=str(path), origin=origin,
        height=arch.size, width=arch.size, channels=3, supports_guidance=True,
        parameters=sum(_count(s) for s in header.shapes.values()) or None,
        description=f"{arch.label}, single {fmt} file", pipeline=TEXT_TO_IMAGE, default_guidance=SD_GUIDANCE,
        fixed_size=False, takes_text=True, size_multiple=8, latent_space=arch.latent_space,
        prediction_type=arch.prediction_type,
    )


def _count(shape: tuple[int, ...]) -> int:
    total = 1
    for n in shape:
        total *= n
    return total


class SingleFileFormat:
    id = "single_file"  # = the module name, which FORMAT_MODULES orders by
    label = "a single-file Stable Diffusion checkpoint (.safetensors or .ckpt)"

    def detect(self, folder: Path) -> bool:
        # A file, not a folder: the catalog hands single files to the formats as they are.
        return is_checkpoint_file(folder) or (folder.is_file() and folder.suffix.lower() in PICKLE_SUFFIXES)

    def describe(self, folder: Path, origin: str) -> ModelInfo:
        if not folder.is_file():
            raise ModelLoadError(f"{folder}: not a checkpoint file")
        return single_file_info(folder, origin)

    def weights_file(self, info: ModelInfo) -> Path:
        return Path(info.source)

    def load(self, info: ModelInfo, device, dtype):
        from engine.models.single_file_loader import load_single_file

        return load_single_file(info, device, dtype)

    def hash(self, info: ModelInfo) -> str:
        return weights_hash(self, info)


register_format(SingleFileFormat())
