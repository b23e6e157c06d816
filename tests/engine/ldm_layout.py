"""A tiny Stable Diffusion 1.x pipeline written as a single file in the original (CompVis) layout.

diffusers ships only the original -> diffusers direction (from_single_file), so this is the
inverse, written from that converter's own rules (diffusers/loaders/single_file_utils.py):
UNet under model.diffusion_model. (input_blocks / middle_block / output_blocks), VAE under
first_stage_model. (encoder.down.N.block.M, mid.attn_1 as 1x1 convs), CLIP under
cond_stage_model.transformer.text_model. The tests check the round trip through diffusers'
converter, so a mistake here fails there, not silently.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

TOKENS = 49408  # the shipped CLIP vocabulary, so the real tokenizer drives the tiny encoder

_RESNET = (("norm1", "in_layers.0"), ("conv1", "in_layers.2"), ("norm2", "out_layers.0"),
           ("conv2", "out_layers.3"), ("time_emb_proj", "emb_layers.1"), ("conv_shortcut", "skip_connection"))
_UNET_LAYERS = {"time_embedding.linear_1": "time_embed.0", "time_embedding.linear_2": "time_embed.2",
                "conv_in": "input_blocks.0.0", "conv_norm_out": "out.0", "conv_out": "out.2",
                "add_embedding.linear_1": "label_emb.0.0", "add_embedding.linear_2": "label_emb.0.2"}


def _resnet(rest: str) -> str:
    for new, old in _RESNET:
        rest = rest.replace(new + ".", old + ".")
    return rest


def unet_to_ldm(state: dict[str, torch.Tensor], layers_per_block: int) -> dict[str, torch.Tensor]:
    n = layers_per_block + 1
    attention_blocks = {int(k.split(".")[1]) for k in state if k.startswith("up_blocks.") and ".attentions." in k}
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        name, _, leaf = key.rpartition(".")
        if name in _UNET_LAYERS:
            out[f"{_UNET_LAYERS[name]}.{leaf}"] = value
        elif m := re.fullmatch(r"down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", key):
            b, kind, j, rest = int(m[1]), m[2], int(m[3]), m[4]
            i = 1 + b * n + j
            out[f"input_blocks.{i}.0.{_resnet(rest)}" if kind == "resnets" else f"input_blocks.{i}.1.{rest}"] = value
        elif m := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
            out[f"input_blocks.{(int(m[1]) + 1) * n}.0.op.{m[2]}"] = value
        elif m := re.fullmatch(r"mid_block\.resnets\.(\d)\.(.+)", key):
            out[f"middle_block.{2 * int(m[1])}.{_resnet(m[2])}"] = value
        elif m := re.fullmatch(r"mid_block\.attentions\.0\.(.+)", key):
            out[f"middle_block.1.{m[1]}"] = value
        elif m := re.fullmatch(r"up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", key):
            b, kind, j, rest = int(m[1]), m[2], int(m[3]), m[4]
            i = b * n + j
            out[f"output_blocks.{i}.0.{_resnet(rest)}" if kind == "resnets" else f"output_blocks.{i}.1.{rest}"] = value
        elif m := re.fullmatch(r"up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
            b = int(m[1])
            out[f"output_blocks.{b * n + n - 1}.{2 if b in attention_blocks else 1}.conv.{m[2]}"] = value
        else:
            raise KeyError(f"no original name for UNet key {key}")
    return {"model.diffusion_model." + k: v for k, v in out.items()}


_VAE_ATTENTION = (("group_norm.", "norm."), ("to_q.", "q."), ("to_k.", "k."), ("to_v.", "v."), ("to_out.0.", "proj_out."))


def vae_to_ldm(state: dict[str, torch.Tensor], blocks: int) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        key = key.replace("conv_norm_out.", "norm_out.")
        if m := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
            out[f"encoder.down.{m[1]}.block.{m[2]}.{m[3].replace('conv_shortcut', 'nin_shortcut')}"] = value
        elif m := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
            out[f"encoder.down.{m[1]}.downsample.conv.{m[2]}"] = value
        elif m := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
            up = blocks - 1 - int(m[1])
            out[f"decoder.up.{up}.block.{m[2]}.{m[3].replace('conv_shortcut', 'nin_shortcut')}"] = value
        elif m := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
            out[f"decoder.up.{blocks - 1 - int(m[1])}.upsample.conv.{m[2]}"] = value
        elif m := re.fullmatch(r"(encoder|decoder)\.mid_block\.resnets\.(\d)\.(.+)", key):
            out[f"{m[1]}.mid.block_{int(m[2]) + 1}.{m[3].replace('conv_shortcut', 'nin_shortcut')}"] = value
        elif m := re.fullmatch(r"(encoder|decoder)\.mid_block\.attentions\.0\.(.+)", key):
            rest = m[2]
            for new, old in _VAE_ATTENTION:
                rest = rest.replace(new, old)
            # The original keeps these as 1x1 convolutions; diffusers' converter squeezes them back.
            out[f"{m[1]}.mid.attn_1.{rest}"] = value[:, :, None, None] if value.ndim == 2 else value
        else:
            out[key] = value  # conv_in, conv_out, norm_out, quant_conv, post_quant_conv keep their names
    return {"first_stage_model." + k: v for k, v in out.items()}


def _text_model_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # transformers >= 5.6 may drop the "text_model." level of CLIPTextModel; the original has it.
    return {k if k.startswith(("text_model.", "text_projection")) else "text_model." + k: v for k, v in state.items()}


def clip_to_ldm(state: dict[str, torch.Tensor], prefix: str = "cond_stage_model.transformer.") -> dict[str, torch.Tensor]:
    """OpenAI CLIP (SD 1.x, SDXL's first encoder): the transformers names under a prefix."""
    return {prefix + k: v for k, v in _text_model_keys(state).items()}


_OPEN_CLIP = (("self_attn.out_proj", "attn.out_proj"), ("layer_norm1", "ln_1"), ("layer_norm2", "ln_2"),
              ("mlp.fc1", "mlp.c_fc"), ("mlp.fc2", "mlp.c_proj"))


def open_clip_to_ldm(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """OpenCLIP (SD 2.x, SDXL's second encoder): fused q/k/v, a transposed projection, its own names."""
    state = _text_model_keys(state)
    out: dict[str, torch.Tensor] = {}
    fixed = {"text_model.embeddings.position_embedding.weight": "positional_embedding",
             "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
             "text_model.final_layer_norm.weight": "ln_final.weight", "text_model.final_layer_norm.bias": "ln_final.bias"}
    for key, value in state.items():
        if key in fixed:
            out[fixed[key]] = value
        elif key == "text_projection.weight":
            out["text_projection"] = value.T.contiguous()
        elif m := re.fullmatch(r"text_model\.encoder\.layers\.(\d+)\.self_attn\.([qkv])_proj\.(weight|bias)", key):
            if m[2] == "q":  # one fused in_proj per layer, q then k then v
                parts = [state[key.replace("q_proj", f"{x}_proj")] for x in "qkv"]
                out[f"transformer.resblocks.{m[1]}.attn.in_proj_{m[3]}"] = torch.cat(parts)
        elif m := re.fullmatch(r"text_model\.encoder\.layers\.(\d+)\.(.+)", key):
            rest = m[2]
            for new, old in _OPEN_CLIP:
                rest = rest.replace(new, old)
            out[f"transformer.resblocks.{m[1]}.{rest}"] = value
        else:
            raise KeyError(f"no original name for text encoder key {key}")
    return {prefix + k: v for k, v in out.items()}


def _text_encoder(cls, projection: int | None = None, width: int = 16):
    from transformers import CLIPTextConfig

    extra = {"projection_dim": projection} if projection else {}
    return cls(CLIPTextConfig(vocab_size=TOKENS, hidden_size=width, intermediate_size=24, num_hidden_layers=2,
                              num_attention_heads=2, max_position_embeddings=77, hidden_act="gelu",
                              bos_token_id=0, eos_token_id=2, pad_token_id=1, **extra))


def tiny_pipeline(kind: str = "sd1", seed: int = 0):
    """A tiny random pipeline shaped as SD 1.x ("sd1"), 2.x ("sd2": OpenCLIP, v-prediction) or SDXL."""
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    from engine.models.single_file_loader import OPEN_CLIP_PAD, clip_tokenizer

    torch.manual_seed(seed)
    xl = {"addition_embed_type": "text_time", "addition_time_embed_dim": 4,
          "projection_class_embeddings_input_dim": 6 * 4 + 8} if kind == "sdxl" else {}
    unet = UNet2DConditionModel(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
                                block_out_channels=(8, 16), norm_num_groups=4,
                                down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                                up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
                                cross_attention_dim=16 + 24 if kind == "sdxl" else 16, attention_head_dim=2, **xl)
    vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 8, 8, 8),
                        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                        layers_per_block=1, norm_num_groups=4, sample_size=64)
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1,
                              prediction_type="v_prediction" if kind == "sd2" else "epsilon")
    if kind == "sdxl":
        return StableDiffusionXLPipeline(vae=vae, text_encoder=_text_encoder(CLIPTextModel),
                                         # Widths differ, as in SDXL (768, 1280): diffusers tells the two encoders apart by width.
                                         text_encoder_2=_text_encoder(CLIPTextModelWithProjection, 8, width=24),
                                         tokenizer=clip_tokenizer(), tokenizer_2=clip_tokenizer(OPEN_CLIP_PAD),
                                         unet=unet, scheduler=scheduler)
    return StableDiffusionPipeline(vae=vae, text_encoder=_text_encoder(CLIPTextModel), unet=unet,
                                   tokenizer=clip_tokenizer(OPEN_CLIP_PAD if kind == "sd2" else "<|endoftext|>"),
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)


def tiny_sd1_pipeline(seed: int = 0):
    return tiny_pipeline("sd1", seed)


def original_state_dict(pipe) -> dict[str, torch.Tensor]:
    state = {**unet_to_ldm(pipe.unet.state_dict(), pipe.unet.config.layers_per_block),
             **vae_to_ldm(pipe.vae.state_dict(), len(pipe.vae.config.block_out_channels))}
    if hasattr(pipe, "text_encoder_2"):  # SDXL
        state.update(clip_to_ldm(pipe.text_encoder.state_dict(), "conditioner.embedders.0.transformer."))
        state.update(open_clip_to_ldm(pipe.text_encoder_2.state_dict(), "conditioner.embedders.1.model."))
    elif pipe.tokenizer.pad_token == "!":  # SD 2.x: OpenCLIP
        state.update(open_clip_to_ldm(pipe.text_encoder.state_dict(), "cond_stage_model.model."))
    else:
        state.update(clip_to_ldm(pipe.text_encoder.state_dict()))
    return {k: v.contiguous().clone() for k, v in state.items()}


def write_single_file(pipe, path: Path) -> Path:
    """The pipeline as one .safetensors in the original layout (or .ckpt, torch.save of a state dict)."""
    state = original_state_dict(pipe)
    if path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(state, str(path))
    else:
        torch.save({"state_dict": state, "global_step": 1}, str(path))
    return path


def write_config_folder(pipe, folder: Path) -> Path:
    """The tiny pipeline's configs, laid out as assets/configs/<arch> is (what `config=` points at)."""
    pipe.save_pretrained(folder)
    return folder
