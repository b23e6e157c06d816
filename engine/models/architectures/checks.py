"""Checks of a model config's values, made before anything is built or allocated (torch-free).

A config is data from a file: a word where a number belongs, a null, 1e9 classes or a 30000-pixel
side must become one line naming the field, never a TypeError inside a constructor or a machine
that runs out of memory. The limits are far above any model this app can run on a desktop.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError

MAX_SIDE = 4096  # pixels (or latent cells) a side: one 4096x4096 sample already needs GBs per step
MAX_CHANNELS = 64  # image or latent channels
MAX_CLASSES = 100_000  # a label table larger than this is not a set of class labels
MAX_LATENT_DIM = 65_536
MAX_WIDTH = 8192  # channels of one block
MAX_BLOCKS = 8
MAX_LAYERS = 32

# The keywords each of our own architectures takes (tests/engine/test_bad_model_folders.py keeps these
# equal to the constructors' signatures); UNet2DModel takes diffusers' config keys and ignores others.
KEYWORDS = {
    "ConvVAE": ("channels", "image_size", "latent_dim", "widths"),
    "DCGANGenerator": ("latent_dim", "num_classes", "channels", "image_size", "widths"),
}
ARCHITECTURES = ("UNet2DModel", *KEYWORDS)


def whole(value: Any, name: str, where: object, low: int, high: int, why: str = "") -> int:
    """`value` as an int in [low, high], or ModelLoadError naming the field and the range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ModelLoadError(f"{where}: {name} must be a whole number from {low} to {high}, not {value!r}")
    if not low <= value <= high:
        reason = f": {why}" if why else ""
        raise ModelLoadError(f"{where}: {name} = {value} is outside {low} to {high}{reason}")
    return value


def check_widths(value: Any, name: str, where: object) -> list[int]:
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= MAX_BLOCKS:
        raise ModelLoadError(f"{where}: {name} must be a list of 1 to {MAX_BLOCKS} channel counts, not {value!r}")
    return [whole(width, f"{name}[{i}]", where, 1, MAX_WIDTH) for i, width in enumerate(value)]


def _side(value: Any, name: str, where: object) -> None:
    sides = value if isinstance(value, list | tuple) and len(value) == 2 else [value]
    for side in sides:
        whole(side, name, where, 1, MAX_SIDE, "larger images do not fit in a desktop's memory")


def check_architecture(architecture: Any, config: Any, where: Path | str) -> None:
    """Types and sizes of an architecture_config, for the architectures this app builds."""
    if architecture not in ARCHITECTURES:
        raise ModelLoadError(f"{where}: unknown architecture {architecture!r}; this Noisescope builds "
                             f"{', '.join(ARCHITECTURES)}")
    if not isinstance(config, dict):
        raise ModelLoadError(f"{where}: architecture_config must be a JSON object, not {config!r}")
    if architecture == "UNet2DModel":
        check_unet2d_config(config, where)
        return
    unknown = sorted(set(config) - set(KEYWORDS[architecture]))
    if unknown:
        raise ModelLoadError(f"{where}: {architecture} takes no {', '.join(map(repr, unknown))} in "
                             f"architecture_config (it takes {', '.join(KEYWORDS[architecture])})")
    for key in ("channels", "image_size", "latent_dim"):
        if key in config:
            high = {"channels": MAX_CHANNELS, "image_size": MAX_SIDE, "latent_dim": MAX_LATENT_DIM}[key]
            whole(config[key], key, where, 1, high)
    if "num_classes" in config:
        whole(config["num_classes"], "num_classes", where, 0, MAX_CLASSES)
    if "widths" in config:
        check_widths(config["widths"], "widths", where)


# The other values of a pixel-space UNet2DModel config (diffusers' keys): a wrong type here passes the
# constructor and fails only inside the first step, as an "unexpected error". None is allowed where marked.
_UNET2D_VALUES: dict[str, tuple[str, bool]] = {
    "center_input_sample": ("bool", False), "flip_sin_to_cos": ("bool", False), "add_attention": ("bool", False),
    "freq_shift": ("int", False), "downsample_padding": ("int", False), "attention_head_dim": ("count", True),
    "time_embedding_dim": ("count", True), "num_train_timesteps": ("count", True),
    "attn_norm_num_groups": ("count", True),
    "mid_block_scale_factor": ("number", False), "norm_eps": ("number", False), "dropout": ("number", False),
    "act_fn": ("text", False), "resnet_time_scale_shift": ("text", False), "downsample_type": ("text", False),
    "upsample_type": ("text", False), "mid_block_type": ("text", True), "time_embedding_type": ("text", False),
    "down_block_types": ("texts", False), "up_block_types": ("texts", False),
}
# A diffusers scheduler_config.json: what our samplers read from it (engine/samplers/registry.py).
_SCHEDULER_VALUES: dict[str, tuple[str, bool]] = {
    "beta_start": ("number", False), "beta_end": ("number", False), "steps_offset": ("int", False),
    "clip_sample": ("bool", False), "clip_sample_range": ("number", False), "set_alpha_to_one": ("bool", False),
    "thresholding": ("bool", False), "sample_max_value": ("number", False), "rescale_betas_zero_snr": ("bool", False),
    "variance_type": ("text", True), "_class_name": ("text", False),
}
SCHEDULER_CHOICES = {
    "beta_schedule": ("linear", "scaled_linear", "squaredcos_cap_v2"),
    "timestep_spacing": ("linspace", "leading", "trailing"),
    "prediction_type": ("epsilon", "v_prediction", "sample"),
}
MAX_TRAIN_TIMESTEPS = 100_000


def check_values(config: dict[str, Any], table: dict[str, tuple[str, bool]], where: object) -> None:
    """Each value named in table has its kind (bool, int, number, text or a list of texts), or ModelLoadError."""
    for key, (kind, optional) in table.items():
        if key not in config or (optional and config[key] is None):
            continue
        value = config[key]
        fits = {
            "bool": isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_WIDTH,
            "count": isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_WIDTH,
            "number": isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            and abs(value) <= 1e6,
            "text": isinstance(value, str),
            "texts": isinstance(value, list) and 1 <= len(value) <= MAX_BLOCKS and all(isinstance(v, str) for v in value),
        }[kind]
        if not fits:
            wanted = {"bool": "true or false", "int": f"a whole number from 0 to {MAX_WIDTH}",
                      "count": f"a whole number from 1 to {MAX_WIDTH}", "number": "a number", "text": "text",
                      "texts": f"a list of 1 to {MAX_BLOCKS} names"}[kind]
            raise ModelLoadError(f"{where}: {key} must be {wanted}{' or null' if optional else ''}, not {value!r}")


def check_unet2d_config(config: dict[str, Any], where: Path | str) -> None:
    """A pixel-space UNet2DModel config: sizes, then the type of every other value it is built from."""
    check_unet_config(config, where)
    check_values(config, _UNET2D_VALUES, where)
    if config.get("downsample_padding", 1) not in (0, 1):  # others change the sizes the skips must match
        raise ModelLoadError(f"{where}: downsample_padding must be 0 or 1, not {config['downsample_padding']!r}")
    widths = config.get("block_out_channels")
    for key in ("down_block_types", "up_block_types"):
        if widths is not None and key in config and len(config[key]) != len(widths):
            raise ModelLoadError(f"{where}: {key} names {len(config[key])} blocks but block_out_channels "
                                 f"has {len(widths)}")
    halvings = len(widths) - 1 if widths is not None else 3  # every block but the last halves the sample
    size = config.get("sample_size")
    for side in (size if isinstance(size, list | tuple) else [size] if size is not None else []):
        if side % 2**halvings:
            raise ModelLoadError(f"{where}: sample_size {side} cannot be halved {halvings} times (once per "
                                 f"block but the last): make it a multiple of {2**halvings}")


def check_scheduler_config(config: dict[str, Any], where: Path | str) -> None:
    """A diffusers scheduler config: the values our samplers build their schedule from."""
    steps = config.get("num_train_timesteps", 1000)
    whole(steps, "num_train_timesteps", where, 1, MAX_TRAIN_TIMESTEPS)
    check_values(config, _SCHEDULER_VALUES, where)
    for key, choices in SCHEDULER_CHOICES.items():
        if key in config and config[key] not in choices:
            raise ModelLoadError(f"{where}: {key} {config[key]!r} is not one Noisescope's samplers take "
                                 f"({', '.join(choices)})")
    for key in ("beta_start", "beta_end"):
        if key in config and not 0 < config[key] < 1:
            raise ModelLoadError(f"{where}: {key} = {config[key]} must be between 0 and 1")
    betas = config.get("trained_betas")
    if betas is not None and not (isinstance(betas, list) and len(betas) == steps and all(
            isinstance(b, int | float) and not isinstance(b, bool) and 0 < b < 1 for b in betas)):
        raise ModelLoadError(f"{where}: trained_betas must be null or a list of {steps} numbers between 0 and 1 "
                             "(one per training step)")


def check_unet_config(config: dict[str, Any], where: Path | str) -> None:
    """A diffusers UNet config's sizes (UNet2DModel, bundled or in a diffusers folder, or SD's UNet)."""
    if "sample_size" in config and config["sample_size"] is not None:
        _side(config["sample_size"], "sample_size", where)
    for key in ("in_channels", "out_channels"):
        if key in config:
            whole(config[key], key, where, 1, MAX_CHANNELS)
    if config.get("in_channels", 3) != config.get("out_channels", config.get("in_channels", 3)):
        raise ModelLoadError(f"{where}: out_channels ({config.get('out_channels')}) differs from in_channels "
                             f"({config.get('in_channels', 3)}): a UNet that also predicts a learned variance or "
                             "takes extra inputs (inpainting) is not one Noisescope can run")
    if config.get("class_embed_type") is not None:
        raise ModelLoadError(f"{where}: class_embed_type {config['class_embed_type']!r} needs class inputs "
                             "Noisescope does not give; it runs unconditional UNets and class labels "
                             "(num_class_embeds)")
    if config.get("num_class_embeds") is not None:
        whole(config["num_class_embeds"], "num_class_embeds", where, 1, MAX_CLASSES,
              "a class table that large would fill the memory before any weight is read")
    if "block_out_channels" in config:
        check_widths(config["block_out_channels"], "block_out_channels", where)
    if "layers_per_block" in config:
        whole(config["layers_per_block"], "layers_per_block", where, 1, MAX_LAYERS)
    if "norm_num_groups" in config and config["norm_num_groups"] is not None:
        whole(config["norm_num_groups"], "norm_num_groups", where, 1, MAX_WIDTH)
