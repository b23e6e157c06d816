"""Previews of latents (Stable Diffusion's 4-channel, 8x-downsampled space) while a run goes on.

Three ways, cheapest first (engine/preview_modes.py names them):
- approx: a fixed 4x3 linear map from latent channels to RGB (plus a bias for SDXL), at latent
  resolution; one einsum per step. The coefficients are the ones ComfyUI publishes
  (comfy/latent_formats.py: SD15, used for SD2 too, and SDXL with its bias), fitted by least
  squares from latents to their VAE decodes; they apply to the scaled latents the UNet sees.
- taesd: diffusers' AutoencoderTiny from a TAESD / TAESDXL folder the person has: full size, cheap.
- vae: the model's own VAE: exact. Every step's x0 latents are kept (fp16, 32 KB a sample per
  step at 512x512) so any recorded step can be decoded at full quality later (decode_step),
  without the UNet.
The noise view shows the four latent channels of the predicted noise as a 2x2 grey grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.errors import ModelLoadError
from engine.preview_modes import PreviewMode
from engine.previews import NOISE_RANGE, images_to_uint8
from engine.trajectory import GUIDED_VIEWS

# (4 latent channels, 3 colours): rgb = latents . M + bias, in about [-1, 1].
LATENT_RGB: dict[str, tuple[list[list[float]], list[float]]] = {
    "sd": ([[0.3512, 0.2297, 0.3227], [0.3250, 0.4974, 0.2350],
            [-0.2829, 0.1762, 0.2721], [-0.2120, -0.2616, -0.7177]], [0.0, 0.0, 0.0]),
    "sdxl": ([[0.3651, 0.4232, 0.4341], [-0.2533, -0.0042, 0.1068],
              [0.1076, 0.1111, -0.0362], [-0.3165, -0.2492, -0.2188]], [0.1084, -0.0175, -0.0011]),
}
LATENT_CHANNELS = 4


@lru_cache(maxsize=16)
def _coefficients(latent_space: str, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    matrix, bias = LATENT_RGB[latent_space]
    return (torch.tensor(matrix, device=device, dtype=dtype),
            torch.tensor(bias, device=device, dtype=dtype).view(1, 3, 1, 1))


def approx_rgb(latents: torch.Tensor, latent_space: str) -> torch.Tensor:
    """(B, 4, h, w) scaled latents -> (B, 3, h, w) RGB in [-1, 1], same device, at latent resolution."""
    if latent_space not in LATENT_RGB:
        raise ValueError(f"no latent-to-RGB map for latent space {latent_space!r}; known: {', '.join(LATENT_RGB)}")
    if latents.ndim != 4 or latents.shape[1] != LATENT_CHANNELS:
        raise ValueError(f"latents must be (batch, 4, height, width), not {tuple(latents.shape)}")
    dtype = latents.dtype if latents.is_floating_point() else torch.float32
    matrix, bias = _coefficients(latent_space, latents.device, dtype)
    return torch.einsum("blhw,lr->brhw", latents.to(dtype), matrix).add_(bias).clamp_(-1, 1)


def noise_channels(latents: torch.Tensor) -> torch.Tensor:
    """(B, 4, h, w) -> (B, 1, 2h, 2w): channels 0 1 on top, 2 3 below, each a grey image, values kept."""
    if latents.ndim != 4 or latents.shape[1] != LATENT_CHANNELS:
        raise ValueError(f"latents must be (batch, 4, height, width), not {tuple(latents.shape)}")
    top = torch.cat((latents[:, 0], latents[:, 1]), dim=2)
    bottom = torch.cat((latents[:, 2], latents[:, 3]), dim=2)
    return torch.cat((top, bottom), dim=1).unsqueeze(1)


def kept_latents(x0: torch.Tensor) -> torch.Tensor:
    """What a step keeps for a later full-quality decode: its x0 latents in fp16 (copied with the previews)."""
    return x0.detach().to(torch.float16).contiguous()


# -- decoders -------------------------------------------------------------------------------------
def load_taesd(folder: Path | str, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> Any:
    """diffusers' AutoencoderTiny from a local TAESD/TAESDXL folder (config.json + weights); nothing is fetched."""
    folder = Path(folder).expanduser()
    if not (folder / "config.json").is_file():
        raise ModelLoadError(f"TAESD folder {folder} has no config.json: point the TAESD setting (--taesd) at a "
                             "diffusers AutoencoderTiny folder (madebyollin/taesd or taesdxl), or use --preview approx")
    return _load_taesd(str(folder.resolve()), str(device), dtype)


@lru_cache(maxsize=2)
def _load_taesd(folder: str, device: str, dtype: torch.dtype) -> Any:
    from diffusers import AutoencoderTiny

    try:
        taesd = AutoencoderTiny.from_pretrained(folder, local_files_only=True, torch_dtype=dtype)
    except Exception as exc:  # diffusers' errors for missing or mismatched weights
        raise ModelLoadError(f"cannot load TAESD from {folder}: {exc}") from None
    return taesd.to(device).eval().requires_grad_(False)


def taesd_rgb(taesd: Any, latents: torch.Tensor) -> torch.Tensor:
    """Scaled latents -> (B, 3, 8h, 8w) in [-1, 1] through the tiny autoencoder (it takes the scaled
    latents as they are: its scaling factor is 1)."""
    sample = taesd.decode(latents.to(taesd.dtype)).sample
    return sample.float().clamp_(-1, 1)


def vae_rgb(vae: Any, latents: torch.Tensor) -> torch.Tensor:
    """Scaled latents -> (B, 3, 8h, 8w) in [-1, 1] through the model's own VAE. SDXL's VAE overflows in
    fp16 (its config says force_upcast), so it decodes in fp32 there, as diffusers' pipelines do."""
    config = vae.config
    latents = latents / config.scaling_factor
    if getattr(config, "shift_factor", None):
        latents = latents + config.shift_factor
    dtype = next(vae.parameters()).dtype
    upcast = dtype == torch.float16 and getattr(config, "force_upcast", False)
    if upcast:
        vae.to(torch.float32)
    try:
        sample = vae.decode(latents.to(torch.float32 if upcast else dtype)).sample
    finally:
        if upcast:
            vae.to(dtype)
    return sample.float().clamp_(-1, 1)


def preview_rgb(mode: PreviewMode, latents: torch.Tensor, latent_space: str, decoder: Any = None) -> torch.Tensor:
    """The RGB view of some latents for a mode (decoder: the TAESD for taesd, the VAE for vae)."""
    if mode == PreviewMode.APPROX:
        return approx_rgb(latents, latent_space)
    if mode == PreviewMode.TAESD:
        return taesd_rgb(decoder, latents)
    if mode == PreviewMode.VAE:
        return vae_rgb(decoder, latents)
    raise ValueError(f"preview mode {mode} makes no image")


# -- one step's frames, for engine.previews.PreviewPipe ------------------------------------------
def latent_step_frames(x_t: torch.Tensor, x0: torch.Tensor, eps: torch.Tensor, latent_space: str,
                       mode: PreviewMode = PreviewMode.APPROX, decoder: Any = None,
                       keep: bool = True, guided: Sequence[torch.Tensor] = ()) -> list[torch.Tensor]:
    """A step's device frames: [x_t and x0 as (2, B, H, W, 3) uint8, the noise's channels as
    (B, 2h, 2w, 1) uint8 (a guided run: (4, B, 2h, 2w, 1), its three `guided` noises after it, in
    one conversion), and (keep) the x0 latents (B, 4, h, w) fp16]. Push them through PreviewPipe
    and read the host arrays back with latent_step_arrays (and latent_guided_arrays)."""
    rgb = images_to_uint8(preview_rgb(mode, torch.cat((x_t, x0)), latent_space, decoder))
    noises = torch.cat([n.float() for n in (eps, *guided)]) if guided else eps.float()
    channels = images_to_uint8(noise_channels(noises * (1 / NOISE_RANGE)))
    if guided:
        channels = channels.view(1 + len(guided), x_t.shape[0], *channels.shape[1:])
    frames = [rgb.view(2, x_t.shape[0], *rgb.shape[1:]), channels]
    if keep:
        frames.append(kept_latents(x0))
    return frames


def latent_step_arrays(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """x_t, x0, noise, latents (or None) from the host copies of latent_step_frames."""
    views, noise = arrays[0], arrays[1]
    return views[0], views[1], noise[0] if noise.ndim == 5 else noise, arrays[2] if len(arrays) > 2 else None


def latent_guided_arrays(arrays: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """A guided run's noise_cond, noise_uncond and noise_guidance (Step's fields) from the same host
    copies; empty for an unguided run."""
    noise = arrays[1]
    return dict(zip(GUIDED_VIEWS, noise[1:])) if noise.ndim == 5 else {}


# -- later, from a recording ----------------------------------------------------------------------
def _vae_of(model: Any) -> Any:
    """The VAE of a loaded text-to-image model (its diffusers pipe), or a VAE given as such."""
    pipe = getattr(model, "pipe", None)
    vae = getattr(pipe, "vae", None) or getattr(model, "vae", None) or model
    if not hasattr(vae, "decode") or not hasattr(vae, "config"):
        raise ModelLoadError(f"{type(model).__name__} has no VAE to decode latents with")
    return vae


@torch.inference_mode()
def decode_step(trajectory: Any, step_index: int, model: Any) -> np.ndarray:
    """The recorded step's x0 latents decoded at full quality by the model's VAE: (B, H, W, 3) uint8,
    read-only. ValueError when the step has no latents (a pixel model, or an older recording)."""
    steps = trajectory.steps
    if not -len(steps) <= step_index < len(steps):
        raise ValueError(f"step {step_index} is not recorded (the run has {len(steps)} steps)")
    latents = steps[step_index].latents
    if latents is None:
        raise ValueError("this step kept no latents: only latent models' runs (recorded by this version) "
                         "can be decoded again")
    vae = _vae_of(model)
    device = next(vae.parameters()).device
    images = images_to_uint8(vae_rgb(vae, torch.from_numpy(np.array(latents, dtype=np.float32)).to(device)))
    array = images.cpu().numpy()
    array.flags.writeable = False
    return array
