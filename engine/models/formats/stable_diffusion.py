"""Stable Diffusion 1.x/2.x and SDXL pipeline folders, described from their JSON alone.

A folder as `StableDiffusionPipeline.save_pretrained` (or the Hugging Face download) leaves it:
model_index.json naming the pipeline class and its components, one subfolder per component
(unet/, vae/, text_encoder/, tokenizer/, scheduler/, and text_encoder_2/ tokenizer_2/ for SDXL).
Loading is diffusers' own (engine/models/text_to_image_folder.py). Torch-free.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError
from engine.kinds import Family
from engine.models.architectures.checks import check_scheduler_config, check_unet_config, check_widths
from engine.models.checkpoint_header import check_pickled_weights
from engine.models.info import ModelInfo
from engine.models.model_files import check_folder_files, component_weights, read_json_object
from engine.models.safetensors_header import check_float_weights, safetensors_parameter_count

# pipeline class -> (latent space, the components it cannot run without)
TEXT_TO_IMAGE_CLASSES = {
    "StableDiffusionPipeline": ("sd", ("unet", "vae", "text_encoder", "tokenizer", "scheduler")),
    "StableDiffusionXLPipeline": ("sdxl", ("unet", "vae", "text_encoder", "text_encoder_2", "tokenizer",
                                           "tokenizer_2", "scheduler")),
}
TEXT_TO_IMAGE = "text-to-image"
SD_GUIDANCE = 7.5  # what diffusers and AUTOMATIC1111 default to
# The scheduler classes whose config our samplers can be built from: the DDPM family (a beta schedule,
# variance preserving). Score-SDE (variance exploding), Karras-VE and consistency schedulers are not.
SCHEDULER_CLASSES = (
    "DDPMScheduler", "DDIMScheduler", "PNDMScheduler", "LMSDiscreteScheduler", "EulerDiscreteScheduler",
    "EulerAncestralDiscreteScheduler", "DPMSolverMultistepScheduler", "DPMSolverSinglestepScheduler",
    "HeunDiscreteScheduler", "KDPM2DiscreteScheduler", "KDPM2AncestralDiscreteScheduler",
    "UniPCMultistepScheduler", "DEISMultistepScheduler", "DPMSolverSDEScheduler",
)


def component_config(folder: Path, component: str, name: str = "config.json") -> dict[str, Any]:
    return read_json_object(folder / component / name, f"{component} config",
                            f"the {component}/ folder of the pipeline is incomplete (copy the whole model folder again)")


def weights_of(folder: Path, component: str) -> Path | None:
    """The file that identifies the component's weights (the whole file, plain or fp16 variant, or
    the first shard); None if there are none. Raises for a weight "file" that is a FIFO or device."""
    files = component_weights(folder / component)
    return files[0] if files else None


def weights_variant(folder: Path) -> str | None:
    """"fp16" when the UNet ships only as the fp16 variant (diffusers must then be asked for it)."""
    unet = weights_of(folder, "unet")
    return "fp16" if unet is not None and ".fp16" in unet.name else None


def check_scheduler(folder: Path, index: dict[str, Any], class_name: str) -> dict[str, Any]:
    """The scheduler's config, once its class (model_index.json) and prediction type are ones we can run."""
    entry = index.get("scheduler")
    scheduler_class = entry[1] if isinstance(entry, list) and len(entry) == 2 else None
    if scheduler_class not in SCHEDULER_CLASSES:
        raise ModelLoadError(f"{folder}: model_index.json gives this {class_name} the scheduler {scheduler_class!r}, "
                             "which Noisescope's samplers cannot stand in for (they need a DDPM-family "
                             "scheduler such as DDPMScheduler, DDIMScheduler or PNDMScheduler)")
    config = component_config(folder, "scheduler", "scheduler_config.json")
    check_scheduler_config(config, folder / "scheduler" / "scheduler_config.json")
    return config


def check_components(folder: Path, index: dict[str, Any], class_name: str) -> None:
    for component in TEXT_TO_IMAGE_CLASSES[class_name][1]:
        entry = index.get(component)
        if not (isinstance(entry, list) and len(entry) == 2 and entry[1]):
            raise ModelLoadError(f"{folder}: model_index.json lists no {component} for {class_name}; "
                                 "it is not a complete text-to-image pipeline")
        if not (folder / component).is_dir():
            raise ModelLoadError(f"{folder}: the {component}/ folder is missing ({class_name} needs it); "
                                 "copy the whole pipeline folder")
        check_folder_files(folder / component)  # diffusers opens them: no FIFO may hang the load
        if component.startswith("tokenizer"):
            files = {p.name for p in (folder / component).iterdir()}
            if not ({"vocab.json", "merges.txt"} <= files or "tokenizer.json" in files):
                raise ModelLoadError(f"{folder / component}: no tokenizer files (vocab.json and merges.txt, "
                                     "or tokenizer.json); copy the whole pipeline folder")
        elif component != "scheduler":
            weights = component_weights(folder / component)
            if not weights:
                raise ModelLoadError(f"{folder / component}: no weights (*.safetensors or *.bin)")
            for path in weights:  # int8/bool (or code, in a pickle): refused before diffusers reads them
                if path.suffix.lower() == ".safetensors":
                    check_float_weights(path)
                else:
                    check_pickled_weights(path)


def _version(class_name: str, text_width: Any, prediction_type: str) -> str:
    if class_name == "StableDiffusionXLPipeline":
        return "SDXL"
    family = {768: "Stable Diffusion 1.x", 1024: "Stable Diffusion 2.x"}.get(text_width, "Stable Diffusion")
    return family + (" (v-prediction)" if prediction_type == "v_prediction" else "")


def text_to_image_info(folder: Path, index: dict[str, Any], class_name: str, origin: str,
                       format_id: str) -> ModelInfo:
    check_components(folder, index, class_name)
    unet = component_config(folder, "unet")
    check_unet_config(unet, folder / "unet" / "config.json")
    vae = component_config(folder, "vae")
    vae_widths = check_widths(vae.get("block_out_channels", [1, 1, 1, 1]), "block_out_channels",
                              folder / "vae" / "config.json")
    scheduler = check_scheduler(folder, index, class_name)
    factor = 2 ** (len(vae_widths) - 1)  # as diffusers' vae_scale_factor
    sample = unet.get("sample_size") or 64
    height, width = (sample, sample) if isinstance(sample, int) else tuple(sample)
    prediction_type = str(scheduler.get("prediction_type", "epsilon"))
    counts = [safetensors_parameter_count(w) for c in ("unet", "vae", "text_encoder", "text_encoder_2")
              if (folder / c).is_dir() for w in component_weights(folder / c) if w.suffix.lower() == ".safetensors"]
    latent_space = TEXT_TO_IMAGE_CLASSES[class_name][0]
    return ModelInfo(
        name=folder.name, family=Family.DIFFUSION, format=format_id, source=str(folder), origin=origin,
        height=int(height) * factor, width=int(width) * factor, channels=3,
        supports_guidance=True, parameters=sum(c for c in counts if c) or None,
        description=f"{_version(class_name, unet.get('cross_attention_dim'), prediction_type)}, diffusers folder",
        pipeline=TEXT_TO_IMAGE, default_guidance=SD_GUIDANCE, fixed_size=False, takes_text=True,
        size_multiple=factor, latent_space=latent_space, prediction_type=prediction_type,
        train_timesteps=scheduler.get("num_train_timesteps", 1000),
    )
