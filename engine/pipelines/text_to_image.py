"""Text-to-image latent diffusion (Stable Diffusion 1.x/2.x, SDXL): the loop written out.

The same loop as the digits (engine/diffusion_loop.py), in latent space: one UNet evaluation (the
guided and unguided halves in one batch), one scheduler step, one Step event with previews of
x_t, x0 and the noise (engine/latent_previews.py: approx, TAESD or the VAE, as preview_modes says;
with approx nothing is decoded per step) and the step's x0 latents. The final image is the VAE's
decode. Every operation is the one StableDiffusion(XL)Pipeline.__call__ does, in the same
order and dtype, so the pixels equal diffusers' for the same recipe.

Seeds: sample i starts from torch.randn((1, 4, h/8, w/8), generator=Generator("cpu").manual_seed(seed + i)),
so diffusers' pipeline given manual_seed(seed) starts from the same latents, and a sample does not
change with the batch size.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import torch

from engine.course import Course
from engine.errors import InvalidRecipe
from engine.events import Cancelled, Event, Finished, Started, Step, frozen_array
from engine.img2img import init_pixels, latent_start
from engine.latent_previews import latent_guided_arrays, latent_step_arrays, latent_step_frames, load_taesd
from engine.models.loaded import TextToImageModel
from engine.pipelines import expect_model, register_pipeline
from engine.pipelines.text_conditioning import encode_recipe_text, unet_kwargs
from engine.prediction import guidance_noise, split_prediction
from engine.preview_modes import PreviewMode, preview_settings
from engine.previews import PreviewPipe, images_to_uint8, to_numpy
from engine.recipe import Recipe

TILED_DECODE_ABOVE = 2048 * 2048  # pixels a sample; larger images decode in tiles to bound VAE memory


class TextToImage:
    key = "text-to-image"

    def run(self, model: TextToImageModel, recipe: Recipe, cancel: threading.Event | None, *,
            previews: bool = True) -> Iterator[Event]:
        expect_model(model, TextToImageModel, self.key)
        yield from generate(model, recipe, cancel, previews=previews)


@torch.inference_mode()
def generate(model: TextToImageModel, recipe: Recipe, cancel: threading.Event | None = None,
             previews: bool = True) -> Iterator[Event]:
    """Started, a Step per UNet evaluation, then Finished (or Cancelled at the next step)."""
    began = time.perf_counter()
    pipe, device, info = model.pipe, model.device, model.info
    width, height = recipe.width or info.width, recipe.height or info.height
    latent_space = info.latent_space or "sd"
    # One scheduler for a plain recipe; a branch replays its parent first (engine/course.py).
    course = Course(recipe, model.scheduler_config, info.name, device, lambda r: r.check_against_model(info))
    total = course.total
    init, notices = init_pixels(course, height, width, 3)  # image-to-image (or None)
    yield Started(recipe, total, (height, width, 3), str(device), str(model.dtype).removeprefix("torch."), info.name,
                  notices)

    factor = 2 ** (len(pipe.vae.config.block_out_channels) - 1)
    generators, noise, start = latent_start(model, course, init,
                                            (pipe.unet.config.in_channels, height // factor, width // factor))
    conditions: dict[int, tuple[float, bool, dict[str, Any]]] = {}  # per segment recipe: its encoded prompt
    mode, decoder = _preview_mode(model, previews)
    frames: PreviewPipe[Step] = PreviewPipe(device)

    for position in course.walk(noise, generators, model.prediction_type, start):
        index, x_in, t = position.index, position.x_in, position.t
        if cancel is not None and cancel.is_set():
            yield from frames.flush()
            yield Cancelled(recipe, at_step=index)
            return
        if id(position.recipe) not in conditions:
            conditions[id(position.recipe)] = _conditions(model, position.recipe, height, width)
        guidance, guided, unet_inputs = conditions[id(position.recipe)]
        both = torch.cat([x_in, x_in]) if guided else x_in
        output = pipe.unet(both.to(model.dtype), t, **unet_inputs).sample
        halves = None
        if guided:
            unconditional, conditional = halves = output.chunk(2)
            output = unconditional + guidance * (conditional - unconditional)
        position.output = output
        if mode != PreviewMode.NONE:
            x0, eps = split_prediction(output.float(), x_in.float(), position.sigma, model.prediction_type)
            noises = () if halves is None else guidance_noise(
                halves[1], halves[0], x_in.float(), position.sigma, model.prediction_type, guidance)

            def build(arrays, index=index, timestep=position.timestep, sigma=position.sigma):
                x_t, x0, noise, latents = latent_step_arrays(arrays)
                return Step(index, total, timestep, sigma, x_t, x0, noise, time.perf_counter() - began,
                            latents=latents, **latent_guided_arrays(arrays))

            yield from frames.push(latent_step_frames(x_in, x0, eps, latent_space, mode, decoder, guided=noises),
                                   build)

    x = course.x
    assert x is not None
    yield from frames.flush()
    images = frozen_array(to_numpy(images_to_uint8(decode_latents(model, x, height * width))))
    yield Finished(recipe, images, time.perf_counter() - began)


def _conditions(model: TextToImageModel, recipe: Recipe, height: int, width: int) -> tuple[float, bool, dict[str, Any]]:
    """The guidance scale, whether it takes a second (unconditional) pass, and the UNet's text inputs."""
    guidance = recipe.guidance if recipe.guidance is not None else model.info.default_guidance or 1.0
    guided = guidance > 1.0  # diffusers' rule: at 1 or below, one unguided pass a step
    conditioning = encode_recipe_text(model, recipe, guided, height, width)  # two prompts mixed in a blend
    return guidance, guided, unet_kwargs(conditioning)


def _preview_mode(model: TextToImageModel, previews: bool) -> tuple[PreviewMode, object]:
    """The preview mode of this run (read once: a change applies to the next run) and its decoder."""
    settings = preview_settings()
    mode = settings.mode if previews else PreviewMode.NONE
    if mode == PreviewMode.TAESD:
        if settings.taesd is None:
            raise InvalidRecipe("TAESD previews need a TAESD folder (the TAESD setting, or --taesd); "
                                "or choose the approx preview")
        return mode, load_taesd(settings.taesd, model.device, model.dtype)
    return mode, model.pipe.vae if mode == PreviewMode.VAE else None


def decode_latents(model: TextToImageModel, latents: torch.Tensor, pixels: int) -> torch.Tensor:
    """The VAE's images in [-1, 1], one sample at a time (VAE slicing: the batch never multiplies its memory)."""
    vae = model.pipe.vae
    config = vae.config
    if vae.dtype == torch.float16 and model.is_sdxl and getattr(config, "force_upcast", False):
        vae.to(torch.float32)  # once per loaded model: SDXL's VAE overflows in fp16 (diffusers upcasts it too)
    mean, std = getattr(config, "latents_mean", None), getattr(config, "latents_std", None)
    if mean is not None and std is not None:  # as diffusers: denormalise where the VAE says how
        shape = (1, len(mean), 1, 1)
        latents = (latents * torch.tensor(std, device=latents.device).view(shape) / config.scaling_factor
                   + torch.tensor(mean, device=latents.device).view(shape))
    else:
        latents = latents / config.scaling_factor
    dtype = next(vae.post_quant_conv.parameters()).dtype if vae.post_quant_conv is not None else model.dtype
    decode = vae.tiled_decode if pixels > TILED_DECODE_ABOVE else vae.decode
    return torch.cat([decode(sample.unsqueeze(0).to(dtype)).sample for sample in latents])


register_pipeline(TextToImage())
