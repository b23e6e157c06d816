"""Which Stable Diffusion a single-file checkpoint holds, told from its tensor names and shapes.

Torch-free: it reads a CheckpointHeader (engine/models/checkpoint_header.py). The keys are the
original (CompVis / Stability) layout that AUTOMATIC1111 and ComfyUI keep: the UNet under
`model.diffusion_model.`, the VAE under `first_stage_model.`, the text encoder(s) under
`cond_stage_model.` (SD 1/2) or `conditioner.embedders.N.` (SDXL). Anything else is named as
well as its keys allow, so the person knows what they have and why it is not offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelLoadError
from engine.models.checkpoint_header import CheckpointHeader

UNET = "model.diffusion_model."
VAE = "first_stage_model."
SD1_TEXT = "cond_stage_model.transformer."
SD2_TEXT = "cond_stage_model.model."
SDXL_TEXT = ("conditioner.embedders.0.transformer.", "conditioner.embedders.1.model.")


@dataclass(frozen=True)
class Architecture:
    id: str  # also the folder of its configs under assets/configs/
    label: str
    size: int  # native width = height
    latent_space: str  # "sd" or "sdxl" (engine/latent_previews.py)
    prediction_type: str  # "epsilon" or "v_prediction"
    pipeline_class: str  # the diffusers pipeline that loads it


SD1 = Architecture("sd1", "Stable Diffusion 1.x", 512, "sd", "epsilon", "StableDiffusionPipeline")
SD2_V = Architecture("sd2-v", "Stable Diffusion 2.x (768, v-prediction)", 768, "sd", "v_prediction",
                     "StableDiffusionPipeline")
SD2 = Architecture("sd2", "Stable Diffusion 2.x (512, epsilon)", 512, "sd", "epsilon", "StableDiffusionPipeline")
SDXL = Architecture("sdxl", "Stable Diffusion XL", 1024, "sdxl", "epsilon", "StableDiffusionXLPipeline")
SDXL_V = Architecture("sdxl", "Stable Diffusion XL (v-prediction)", 1024, "sdxl", "v_prediction",
                      "StableDiffusionXLPipeline")

# Key prefixes of what is not a whole SD checkpoint, most specific first: (what any key contains, name).
_OTHERS = (
    ("joint_blocks.", "Stable Diffusion 3 (MMDiT)"),
    ("double_blocks.", "FLUX"),
    ("double_layers.", "AuraFlow"),
    ("clip_txt_mapper.", "Stable Cascade"),
    ("lora_unet_", "a LoRA"), ("lora_te", "a LoRA"), (".lora_down.", "a LoRA"), (".lora_A.", "a LoRA"),
    ("control_model.", "a ControlNet"), ("input_hint_block.", "a ControlNet"),
    ("controlnet_cond_embedding.", "a ControlNet (diffusers layout)"),
    ("motion_modules.", "an AnimateDiff motion module"),
    ("string_to_param", "a textual-inversion embedding"), ("emb_params", "a textual-inversion embedding"),
    ("x_embedder.", "a DiT-style transformer (PixArt, Hunyuan-DiT, ...)"),
    ("down_blocks.", "a diffusers-layout component (not a whole checkpoint)"),
)


def _has(header: CheckpointHeader, prefix: str) -> bool:
    return any(key.startswith(prefix) for key in header.shapes)


def describe_other(header: CheckpointHeader) -> str:
    """A short name for a checkpoint that is not SD 1/2/XL, from its keys."""
    keys = header.shapes
    if not keys:
        return "no tensors at all"
    for marker, name in _OTHERS:
        if any(marker in key for key in keys):
            return name
    if _has(header, "encoder.") and _has(header, "decoder.") and not _has(header, UNET):
        return "a VAE on its own"
    if _has(header, "conditioner.embedders.0.model.") and not _has(header, "conditioner.embedders.1."):
        return "Stable Diffusion XL refiner (image-to-image only)"
    sample = ", ".join(sorted(keys)[:3])
    return f"an unknown model ({len(keys):,} tensors, e.g. {sample})"


def _v_prediction_hint(path: Path, header: CheckpointHeader) -> bool | None:
    """What the file (or the .yaml kept beside it, as AUTOMATIC1111 does) says about v-prediction."""
    if "v_pred" in header.shapes:  # the marker ComfyUI and some trainers add
        return True
    meta = header.metadata
    kind = (meta.get("modelspec.prediction_type", "") + " " + meta.get("modelspec.architecture", "")).lower()
    if "v-prediction" in kind or "v_prediction" in kind or kind.rstrip().endswith("-v"):
        return True
    if "epsilon" in kind:
        return False
    for yaml in (path.with_suffix(".yaml"), path.with_suffix(".yml")):
        try:
            text = yaml.read_text(errors="replace")
        except OSError:
            continue
        return "parameterization" in text and ('"v"' in text or "'v'" in text or ": v\n" in text)
    return None


def classify(path: Path, header: CheckpointHeader) -> Architecture:
    """The architecture, or ModelLoadError naming what was found instead."""
    shapes = header.shapes
    first = shapes.get(UNET + "input_blocks.0.0.weight")
    if first is None:
        raise ModelLoadError(f"{path}: not a Stable Diffusion 1.x/2.x/XL checkpoint: found {describe_other(header)}")
    sdxl = _has(header, SDXL_TEXT[1])
    text_width = next((s[-1] for k, s in shapes.items()
                       if k.startswith(UNET) and k.endswith("attn2.to_k.weight") and len(s) == 2), None)
    if sdxl:
        found = "Stable Diffusion XL"
    elif _has(header, "conditioner.embedders.0.model."):
        found = "Stable Diffusion XL refiner (image-to-image only)"
    elif text_width == 1024 or _has(header, SD2_TEXT):
        found = "Stable Diffusion 2.x"
    elif text_width == 768 or _has(header, SD1_TEXT):
        found = "Stable Diffusion 1.x"
    else:
        found = f"a Stable Diffusion-like UNet with text width {text_width}"
    if len(first) != 4 or first[1] != 4:
        channels = first[1] if len(first) == 4 else "?"
        what = {9: "an inpainting model", 8: "an InstructPix2Pix model"}.get(channels if isinstance(channels, int) else 0,
                                                                              "a model")
        raise ModelLoadError(f"{path}: {found}, but {what} ({channels} input channels): only text-to-image "
                             "checkpoints (4 input channels) are supported")
    if found.startswith("Stable Diffusion XL refiner") or found.startswith("a Stable"):
        raise ModelLoadError(f"{path}: not supported: found {found}")
    if not _has(header, VAE):
        raise ModelLoadError(f"{path}: {found} checkpoint without a VAE (no first_stage_model.* tensors); "
                             "use a checkpoint with the VAE baked in")
    text = SDXL_TEXT if sdxl else (SD2_TEXT if found.endswith("2.x") else SD1_TEXT,)
    missing = [prefix for prefix in text if not _has(header, prefix)]
    if missing:
        raise ModelLoadError(f"{path}: {found} checkpoint without its text encoder ({missing[0]}* missing)")
    v = _v_prediction_hint(path, header)
    if sdxl:
        return SDXL_V if v else SDXL
    if found.endswith("2.x"):
        return SD2 if v is False else SD2_V  # 2.x: 768-v unless the file says otherwise (as diffusers assumes)
    return SD1
