"""A text prompt turned into what a Stable Diffusion or SDXL UNet is conditioned on.

The encoding is diffusers' own `pipe.encode_prompt`, so the embeddings are bit for bit those of
StableDiffusionPipeline / StableDiffusionXLPipeline. Prompts over the encoder's context (77 tokens
with start and end) are truncated, as diffusers does, and the run says so in the log: chunking as
AUTOMATIC1111 does would change the image against diffusers' for the same recipe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch

from engine.errors import InvalidRecipe
from engine.models.loaded import TextToImageModel
from engine.models.text_to_image_folder import quiet_libraries

log = logging.getLogger(__name__)


@dataclass
class TextConditioning:
    """Per-batch UNet inputs; with guidance the unconditional (negative) half comes first, as in diffusers."""

    embeddings: torch.Tensor
    added: dict[str, torch.Tensor] | None  # SDXL: pooled text embeddings and size/crop ids


def truncation_warnings(model: TextToImageModel, prompt: str, negative: str) -> list[str]:
    """A line per prompt longer than the text encoder reads (the rest of it is ignored)."""
    tokenizer = model.pipe.tokenizer
    limit = int(tokenizer.model_max_length)
    lines = []
    for name, text in (("prompt", prompt), ("negative prompt", negative)):
        if not text:
            continue
        count = len(tokenizer(text, truncation=False, add_special_tokens=True, verbose=False).input_ids)
        if count > limit:
            lines.append(f"warning: the {name} is {count - 2} tokens; {model.info.name}'s text encoder reads the first "
                         f"{limit - 2}, the rest is ignored (truncated, as diffusers does)")
    return lines


def encode_text(model: TextToImageModel, prompt: str, negative: str, batch: int, guided: bool,
                height: int, width: int) -> TextConditioning:
    pipe, device = model.pipe, model.device
    for line in truncation_warnings(model, prompt, negative):
        log.warning(line)  # said once, here; diffusers' own line about it is quieted below
    # An empty negative prompt is diffusers' None: SDXL then uses zeros (force_zeros_for_empty_prompt).
    negative_or_none = negative or None
    if not model.is_sdxl:
        with quiet_libraries():
            positive, negative_embeds = pipe.encode_prompt(prompt, device, batch, guided,
                                                           negative_prompt=negative_or_none)
        embeddings = torch.cat([negative_embeds, positive]) if guided else positive
        return TextConditioning(embeddings.to(model.dtype), None)
    with quiet_libraries():
        positive, negative_embeds, pooled, negative_pooled = pipe.encode_prompt(
            prompt, device=device, num_images_per_prompt=batch, do_classifier_free_guidance=guided,
            negative_prompt=negative_or_none)
    time_ids = _sdxl_time_ids(model, height, width, pooled.dtype).repeat(batch, 1)
    if guided:
        positive, pooled = torch.cat([negative_embeds, positive]), torch.cat([negative_pooled, pooled])
        time_ids = torch.cat([time_ids, time_ids])
    added = {"text_embeds": pooled.to(device, model.dtype), "time_ids": time_ids.to(device, model.dtype)}
    return TextConditioning(positive.to(model.dtype), added)


def encode_recipe_text(model: TextToImageModel, recipe: Any, guided: bool, height: int, width: int) -> TextConditioning:
    """The recipe's prompt encoded. A frame between two prompts (TextPrompt.blend_to) is the two
    encodings mixed linearly, `blend` of the way: cross-attention's keys and values are linear maps
    of these embeddings, so the frame attends to exactly that mix of the two prompts' keys and
    values, and whatever the prompts share (start token, padding, the negative prompt) stays as it
    is. Slerp, right for the Gaussian start noise whose norm a straight line would shrink, has no
    such reason here: the embeddings are not a Gaussian draw."""
    negative = recipe.negative_prompt or ""
    first = encode_text(model, recipe.prompt or "", negative, recipe.batch, guided, height, width)
    blend_to, blend = getattr(recipe.conditioning, "blend_to", ""), getattr(recipe.conditioning, "blend", 0.0)
    if not blend_to:
        return first
    return lerp_conditioning(first, encode_text(model, blend_to, negative, recipe.batch, guided, height, width), blend)


def lerp_conditioning(a: TextConditioning, b: TextConditioning, t: float) -> TextConditioning:
    """a + t (b - a) for every UNet text input, in float32 (torch.lerp: exactly b at t = 1)."""
    def mix(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.lerp(x.float(), y.float(), float(t)).to(x.dtype)

    added = None if a.added is None or b.added is None else {key: mix(value, b.added[key])
                                                             for key, value in a.added.items()}
    return TextConditioning(mix(a.embeddings, b.embeddings), added)


def _sdxl_time_ids(model: TextToImageModel, height: int, width: int, dtype: torch.dtype) -> torch.Tensor:
    """SDXL's size and crop conditioning: original size = target size = the image's, crop (0, 0)."""
    pipe = model.pipe
    ids = [height, width, 0, 0, height, width]
    expected = pipe.unet.add_embedding.linear_1.in_features
    given = pipe.unet.config.addition_time_embed_dim * len(ids) + pipe.text_encoder_2.config.projection_dim
    if expected != given:
        raise InvalidRecipe(f"{model.info.name}: its UNet expects {expected} size-conditioning inputs but its "
                            f"second text encoder gives {given}; the folder's configs do not match")
    return torch.tensor([ids], dtype=dtype)


def unet_kwargs(conditioning: TextConditioning) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"encoder_hidden_states": conditioning.embeddings}
    if conditioning.added is not None:
        kwargs["added_cond_kwargs"] = conditioning.added
    return kwargs
