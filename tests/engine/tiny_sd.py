"""Tiny random Stable Diffusion and SDXL pipeline folders, written with save_pretrained.

The same layout as a real SD 1.x/2.x or SDXL folder (model_index.json, unet/, vae/, text_encoder/,
tokenizer/, scheduler/ ...), with a few thousand random weights each, so a test runs the whole
text-to-image path on the CPU in well under a second. The tokenizer's vocabulary is written here:
every byte as a character (plain and word-final) and no merges, so any prompt tokenizes.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

LATENT_SIZE = 8  # the UNet's sample_size: native images are 8 * 8 = 64 pixels square
TEXT_WIDTH = 16  # hidden size of each tiny text encoder


def _byte_characters() -> list[str]:
    """The 256 characters CLIP's byte-level BPE maps bytes to (GPT-2's bytes_to_unicode)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    codes, extra = printable[:], 0
    for byte in range(256):
        if byte not in printable:
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def write_tokenizer(folder: Path, max_length: int = 77) -> Path:
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    chars = _byte_characters()
    vocab = {token: i for i, token in enumerate(chars + [c + "</w>" for c in chars])}
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=max_length)
    tokenizer.save_pretrained(folder)
    return folder


def _text_config(projection: int | None = None):
    from transformers import CLIPTextConfig

    extra = {"projection_dim": projection} if projection else {}
    return CLIPTextConfig(vocab_size=514, hidden_size=TEXT_WIDTH, intermediate_size=24, num_hidden_layers=2,
                          num_attention_heads=2, max_position_embeddings=77, bos_token_id=512, eos_token_id=513,
                          pad_token_id=513, hidden_act="gelu", **extra)


def _vae():
    from diffusers import AutoencoderKL

    # Four blocks: three downsamplings, the factor of 8 every SD VAE has.
    return AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 8, 8, 8),
                         down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                         layers_per_block=1, norm_num_groups=4, sample_size=LATENT_SIZE * 8)


def _unet(cross_attention_dim: int, **extra):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(sample_size=LATENT_SIZE, in_channels=4, out_channels=4, layers_per_block=1,
                                block_out_channels=(8, 16), norm_num_groups=4,
                                down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
                                cross_attention_dim=cross_attention_dim, attention_head_dim=2, **extra)


def _scheduler(prediction_type: str):
    from diffusers import DDIMScheduler

    # SD's own schedule (scaled_linear) and spacing, as the real folders' scheduler_config.json say.
    return DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                         set_alpha_to_one=False, steps_offset=1, prediction_type=prediction_type,
                         timestep_spacing="leading")


def tiny_sd_folder(root: Path, name: str = "tiny-sd", prediction_type: str = "epsilon", seed: int = 0) -> Path:
    """An SD 1.x-shaped folder (SD 2.x "v" with prediction_type="v_prediction")."""
    from diffusers import StableDiffusionPipeline
    from transformers import CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    tokenizer = CLIPTokenizer.from_pretrained(write_tokenizer(root / f"{name}-vocab"))
    pipe = StableDiffusionPipeline(vae=_vae(), text_encoder=CLIPTextModel(_text_config()), tokenizer=tokenizer,
                                   unet=_unet(TEXT_WIDTH), scheduler=_scheduler(prediction_type),
                                   safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    folder = root / name
    pipe.save_pretrained(folder)
    return folder


def tiny_sdxl_folder(root: Path, name: str = "tiny-sdxl", seed: int = 0) -> Path:
    """An SDXL-shaped folder: two text encoders (the second with a projection) and size conditioning."""
    from diffusers import StableDiffusionXLPipeline
    from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    torch.manual_seed(seed)
    tokenizer = CLIPTokenizer.from_pretrained(write_tokenizer(root / f"{name}-vocab"))
    projection, time_dim = 8, 4
    unet = _unet(2 * TEXT_WIDTH, addition_embed_type="text_time", addition_time_embed_dim=time_dim,
                 projection_class_embeddings_input_dim=6 * time_dim + projection)
    pipe = StableDiffusionXLPipeline(vae=_vae(), text_encoder=CLIPTextModel(_text_config()),
                                     text_encoder_2=CLIPTextModelWithProjection(_text_config(projection)),
                                     tokenizer=tokenizer, tokenizer_2=tokenizer, unet=unet,
                                     scheduler=_scheduler("epsilon"))
    folder = root / name
    pipe.save_pretrained(folder)
    return folder


def tiny_text_to_image_folders(root: Path) -> dict[str, Path]:
    """SD 1.x-style, SD 2.x v-prediction-style and SDXL-style folders under root."""
    return {"sd": tiny_sd_folder(root), "sd-v": tiny_sd_folder(root, "tiny-sd-v", "v_prediction", seed=1),
            "sdxl": tiny_sdxl_folder(root)}
