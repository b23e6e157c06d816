"""Stable Diffusion 1.x/2.x and SDXL pipeline folders, described from their JSON alone.

A folder as `StableDiffusionPipeline.save_pretrained` (or the Hugging Face download) leaves it:
model_index.json naming the pipeline class and its components, one subfolder per component
(unet/, vae/, text_encoder/, tokenizer/, scheduler/, and text_encoder_2/ tokenizer_2/ for SDXL).
Loading is diffusers' own (engine/models/text_to_image_folder.py). Torch-free.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError
from engine.kinds import Family
from engine.models.info import ModelInfo
from engine.models.safetensors_header import safetensors_parameter_count

# pipeline class -> (latent space, the components it cannot run without)
TEXT_TO_IMAGE_CLASSES = {
    "StableDiffusionPipeline": ("sd", ("unet", "vae", "text_encoder", "tokenizer", "scheduler")),
    "StableDiffusionXLPipeline": ("sdxl", ("unet", "vae", "text_encoder", "text_encoder_2", "tokenizer",
                                           "tokenizer_2", "scheduler")),
}
TEXT_TO_IMAGE = "text-to-image"
SD_GUIDANCE = 7.5  # what diffusers and AUTOMATIC1111 default to
# Weight file names diffusers and transformers write; an ".fp16" variant is what many downloads hold.
_WEIGHTS = ("diffusion_pytorch_model", "model")


def component_config(folder: Path, component: str, name: str = "config.json") -> dict[str, Any]:
    path = folder / component / name
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: missing; the {component}/ folder of the pipeline is incomplete "
                             "(copy the whole model folder again)") from None
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path}: expected a JSON object")
    return data


def weights_of(folder: Path, component: str) -> Path | None:
    """The component's safetensors (or .bin) weights, plain or fp16 variant; None if there are none."""
    for stem in _WEIGHTS:
        for suffix in (".safetensors", ".fp16.safetensors", ".bin", ".fp16.bin"):
            path = folder / component / (stem + suffix)
            if path.is_file():
                return path
    return None


def weights_variant(folder: Path) -> str | None:
    """"fp16" when the UNet ships only as the fp16 variant (diffusers must then be asked for it)."""
    unet = weights_of(folder, "unet")
    return "fp16" if unet is not None and ".fp16." in unet.name else None


def check_components(folder: Path, index: dict[str, Any], class_name: str) -> None:
    for component in TEXT_TO_IMAGE_CLASSES[class_name][1]:
        entry = index.get(component)
        if not (isinstance(entry, list) and len(entry) == 2 and entry[1]):
            raise ModelLoadError(f"{folder}: model_index.json lists no {component} for {class_name}; "
                                 "it is not a complete text-to-image pipeline")
        if not (folder / component).is_dir():
            raise ModelLoadError(f"{folder}: the {component}/ folder is missing ({class_name} needs it); "
                                 "copy the whole pipeline folder")
        if component.startswith("tokenizer"):
            files = {p.name for p in (folder / component).iterdir()}
            if not ({"vocab.json", "merges.txt"} <= files or "tokenizer.json" in files):
                raise ModelLoadError(f"{folder / component}: no tokenizer files (vocab.json and merges.txt, "
                                     "or tokenizer.json); copy the whole pipeline folder")
        elif component != "scheduler" and weights_of(folder, component) is None:
            raise ModelLoadError(f"{folder / component}: no weights (*.safetensors or *.bin)")


def _version(class_name: str, text_width: Any, prediction_type: str) -> str:
    if class_name == "StableDiffusionXLPipeline":
        return "SDXL"
    family = {768: "Stable Diffusion 1.x", 1024: "Stable Diffusion 2.x"}.get(text_width, "Stable Diffusion")
    return family + (" (v-prediction)" if prediction_type == "v_prediction" else "")


def text_to_image_info(folder: Path, index: dict[str, Any], class_name: str, origin: str,
                       format_id: str) -> ModelInfo:
    check_components(folder, index, class_name)
    unet = component_config(folder, "unet")
    vae = component_config(folder, "vae")
    scheduler = component_config(folder, "scheduler", "scheduler_config.json")
    factor = 2 ** (len(vae.get("block_out_channels", (0, 0, 0, 0))) - 1)  # as diffusers' vae_scale_factor
    sample = unet.get("sample_size", 64)
    height, width = (sample, sample) if isinstance(sample, int) else tuple(sample)
    prediction_type = str(scheduler.get("prediction_type", "epsilon"))
    counts = [safetensors_parameter_count(w) for c in ("unet", "vae", "text_encoder", "text_encoder_2")
              if (w := weights_of(folder, c)) is not None and w.suffix == ".safetensors"]
    latent_space = TEXT_TO_IMAGE_CLASSES[class_name][0]
    return ModelInfo(
        name=folder.name, family=Family.DIFFUSION, format=format_id, source=str(folder), origin=origin,
        height=int(height) * factor, width=int(width) * factor, channels=3,
        supports_guidance=True, parameters=sum(c for c in counts if c) or None,
        description=f"{_version(class_name, unet.get('cross_attention_dim'), prediction_type)}, diffusers folder",
        pipeline=TEXT_TO_IMAGE, default_guidance=SD_GUIDANCE, fixed_size=False, takes_text=True,
        size_multiple=factor, latent_space=latent_space, prediction_type=prediction_type,
    )
