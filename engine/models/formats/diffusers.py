"""Diffusers pipeline folders, routed by model_index.json's `_class_name`:

- StableDiffusionPipeline / StableDiffusionXLPipeline: text-to-image (formats/stable_diffusion.py);
- pixel-space UNet2DModel pipelines (DDPMPipeline, DDIMPipeline: unet/ and scheduler/ only), as
  `DDPMPipeline.save_pretrained` writes them: class-conditional diffusion;
- anything else (latent diffusion with a VQModel, consistency models, score SDE ...) is refused
  with a message naming the class found; so is a UNet2DModel pipeline with a decoder beside it (its
  samples are latents) or a scheduler our samplers cannot stand in for (CMStochastic, ScoreSdeVe).

Every config is checked before anything is built (architectures/checks.py) and every file is stat'ed
before it is opened (model_files.py): the UNet's weights may be one file, its fp16 variant or shards.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError
from engine.kinds import Family
from engine.models.architectures.checks import check_unet2d_config
from engine.models.formats import register_format, weights_hash
from engine.models.formats.stable_diffusion import (
    TEXT_TO_IMAGE_CLASSES,
    check_scheduler,
    text_to_image_info,
    weights_of,
)
from engine.models.info import ModelInfo
from engine.models.model_files import component_weights, read_json_object
from engine.models.safetensors_header import safetensors_parameter_count

INDEX_NAME = "model_index.json"
WEIGHT_NAMES = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")  # also fp16 and shards
# Pixel-space pipelines whose loop is the class-conditional one: a UNet2DModel and a DDPM-family scheduler.
UNET2D_CLASSES = ("DDPMPipeline", "DDIMPipeline", "PNDMPipeline")


def is_diffusers_folder(folder: Path) -> bool:
    return os.path.lexists(folder / INDEX_NAME)  # a FIFO or folder of that name: describe says so


def read_json(path: Path) -> dict[str, Any]:
    return read_json_object(path, path.name, "a diffusers folder needs unet/ and scheduler/ configs")


def pipeline_class(folder: Path) -> tuple[dict[str, Any], str]:
    """model_index.json and the pipeline class it names; ModelLoadError for one Noisescope cannot run."""
    index = read_json(folder / INDEX_NAME)
    class_name = str(index.get("_class_name", ""))
    if class_name in TEXT_TO_IMAGE_CLASSES or class_name in UNET2D_CLASSES:
        return index, class_name
    supported = ", ".join((*TEXT_TO_IMAGE_CLASSES, *UNET2D_CLASSES))
    found = f"a {class_name}" if class_name else "no _class_name"
    raise ModelLoadError(f"{folder}: model_index.json names {found}, which Noisescope cannot run "
                         f"(supported diffusers pipelines: {supported})")


def unet_parts(folder: Path) -> tuple[dict[str, Any], Path]:
    """The UNet's checked config and the file that identifies its weights (see unet_files)."""
    config, weights = unet_files(folder)
    return config, weights[0]


def unet_files(folder: Path) -> tuple[dict[str, Any], list[Path]]:
    """The UNet's config and every weight file (one whole file, its fp16 variant, or shards).

    ModelLoadError for anything but a pixel-space UNet2DModel pipeline with sane sizes and real files."""
    index = read_json(folder / INDEX_NAME)
    unet_entry = index.get("unet")
    if not (isinstance(unet_entry, list) and len(unet_entry) == 2 and unet_entry[1] == "UNet2DModel"):
        raise ModelLoadError(
            f"{folder}: only unconditional or class-conditional UNet2DModel pipelines are supported "
            f"(model_index.json says unet is {unet_entry!r})"
        )
    # A VQModel or VAE beside the UNet means its samples are latents: never shown or saved as pixels.
    decoders = [name for name in ("vqvae", "vae", "vqmodel") if name in index]
    if decoders:
        raise ModelLoadError(f"{folder}: model_index.json adds a {decoders[0]} to the UNet, so it makes latents "
                             "that need decoding; Noisescope runs only pixel-space UNet2DModel pipelines")
    config = read_json(folder / "unet" / "config.json")
    check_unet2d_config(config, folder / "unet" / "config.json")
    weights = component_weights(folder / "unet")
    if not weights:
        raise ModelLoadError(f"{folder / 'unet'}: no weights ({' or '.join(WEIGHT_NAMES)}, an fp16 variant "
                             "or shards with their index)")
    return config, weights


def diffusers_info(folder: Path, origin: str) -> ModelInfo:
    index, class_name = pipeline_class(folder)
    if class_name in TEXT_TO_IMAGE_CLASSES:
        return text_to_image_info(folder, index, class_name, origin, DiffusersFormat.id)
    config, weights = unet_files(folder)
    scheduler = check_scheduler(folder, index, class_name)
    sample_size = config.get("sample_size") or 32
    height, width = (sample_size, sample_size) if isinstance(sample_size, int) else tuple(sample_size)
    classes = config.get("num_class_embeds")
    counts = [safetensors_parameter_count(w) for w in weights if w.suffix.lower() == ".safetensors"]
    return ModelInfo(
        name=folder.name,
        family=Family.DIFFUSION,
        format=DiffusersFormat.id,
        source=str(folder),
        origin=origin,
        height=int(height),
        width=int(width),
        channels=int(config.get("in_channels", 3)),
        labels=tuple(str(i) for i in range(classes)) if classes else None,
        requires_label=bool(classes),
        parameters=sum(c for c in counts if c) or None,
        description="diffusers pipeline folder",
        pipeline="class-conditional-diffusion",
        train_timesteps=scheduler.get("num_train_timesteps", 1000),
    )


class DiffusersFormat:
    id = "diffusers"
    label = f"a diffusers {INDEX_NAME}"

    def detect(self, folder: Path) -> bool:
        return is_diffusers_folder(folder)

    def describe(self, folder: Path, origin: str) -> ModelInfo:
        return diffusers_info(folder, origin)

    def weights_file(self, info: ModelInfo) -> Path:
        if info.takes_text:  # the UNet's file identifies a text-to-image folder
            weights = weights_of(Path(info.source), "unet")
            if weights is None:
                raise ModelLoadError(f"{info.source}/unet: no weights (*.safetensors or *.bin)")
            return weights
        return unet_parts(Path(info.source))[1]

    def load(self, info: ModelInfo, device, dtype):
        from engine.models.diffusers_folder import load_diffusers

        return load_diffusers(info, device, dtype)

    def hash(self, info: ModelInfo) -> str:
        return weights_hash(self, info)


register_format(DiffusersFormat())
