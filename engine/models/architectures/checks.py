"""Checks of a model config's values, made before anything is built or allocated (torch-free).

A config is data from a file: a word where a number belongs, a null, 1e9 classes or a 30000-pixel
side must become one line naming the field, never a TypeError inside a constructor or a machine
that runs out of memory. The limits are far above any model this app can run on a desktop.
"""

from __future__ import annotations

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
        check_unet_config(config, where)
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


def check_unet_config(config: dict[str, Any], where: Path | str) -> None:
    """A diffusers UNet2DModel config (bundled or in a diffusers folder's unet/config.json)."""
    if "sample_size" in config and config["sample_size"] is not None:
        _side(config["sample_size"], "sample_size", where)
    for key in ("in_channels", "out_channels"):
        if key in config:
            whole(config[key], key, where, 1, MAX_CHANNELS)
    if config.get("num_class_embeds") is not None:
        whole(config["num_class_embeds"], "num_class_embeds", where, 1, MAX_CLASSES,
              "a class table that large would fill the memory before any weight is read")
    if "block_out_channels" in config:
        check_widths(config["block_out_channels"], "block_out_channels", where)
    if "layers_per_block" in config:
        whole(config["layers_per_block"], "layers_per_block", where, 1, MAX_LAYERS)
    if "norm_num_groups" in config and config["norm_num_groups"] is not None:
        whole(config["norm_num_groups"], "norm_num_groups", where, 1, MAX_WIDTH)
