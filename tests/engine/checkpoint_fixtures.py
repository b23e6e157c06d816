"""Header-level fixtures: safetensors files with the real architectures' key names and the shapes
that tell them apart (the rest of each tensor tiny), for detection tests that need no weights."""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import torch

U = "model.diffusion_model."
UNET_SD = {U + "input_blocks.0.0.weight": (8, 4, 3, 3), U + "out.2.weight": (4, 8, 3, 3)}
VAE = {"first_stage_model.decoder.conv_in.weight": (2, 4, 3, 3), "first_stage_model.encoder.conv_in.weight": (2, 3, 3, 3)}

ARCHITECTURES: dict[str, dict[str, tuple[int, ...]]] = {
    "sd1": {**UNET_SD, **VAE, U + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": (2, 768),
            "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": (3, 768)},
    "sd2": {**UNET_SD, **VAE, U + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": (2, 1024),
            "cond_stage_model.model.token_embedding.weight": (3, 1024)},
    "sdxl": {**UNET_SD, **VAE, U + "input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight": (2, 2048),
             U + "label_emb.0.0.weight": (2, 2816),
             "conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight": (3, 768),
             "conditioner.embedders.1.model.positional_embedding": (2, 1280)},
    "flux": {"double_blocks.0.img_attn.norm.key_norm.scale": (128,), "img_in.weight": (4, 64)},
    "lora": {"lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight": (4, 320)},
    "vae": {"encoder.conv_in.weight": (2, 3, 3, 3), "decoder.conv_in.weight": (2, 4, 3, 3)},
    "sd1-inpainting": {**VAE, U + "input_blocks.0.0.weight": (8, 9, 3, 3),
                       U + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": (2, 768),
                       "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": (3, 768)},
    "sd1-no-vae": {**UNET_SD, U + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": (2, 768),
                   "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": (3, 768)},
}


def write_header_checkpoint(path: Path, kind: str, metadata: dict[str, str] | None = None,
                            extra: dict[str, tuple[int, ...]] | None = None) -> Path:
    from safetensors.torch import save_file

    shapes = {**ARCHITECTURES[kind], **(extra or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: torch.zeros(s, dtype=torch.float16) for k, s in shapes.items()}, str(path), metadata=metadata)
    return path


class RunsCode:
    """Unpickling this calls os.system: what a hostile .ckpt does."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def write_hostile_ckpt(path: Path, marker: Path) -> Path:
    """A torch zip checkpoint whose pickle would run `touch marker` if anything executed it."""
    torch.save({"state_dict": {"model.diffusion_model.input_blocks.0.0.weight": torch.zeros(2)}}, str(path))
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    pkl = next(name for name in members if name.endswith("data.pkl"))
    members[pkl] = pickle.dumps({"state_dict": {"x": RunsCode(marker)}}, protocol=2)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path
