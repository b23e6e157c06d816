"""The project's own model format: a folder with config.json + weights (safetensors).

config.json:
    format: "noisescope-model", format_version: 1
    name, family (diffusion | vae | gan), architecture, architecture_config, weights
    height, width, channels, labels (class names or null)
    diffusion: scheduler (a diffusers scheduler config), null_label (class id meaning "no label"),
               default_guidance (optional; 3.0 when a null label was trained),
               default_guide (optional): {"model": NAME, "guidance": W}, the weaker model that guides
               this one (autoguidance, engine/autoguidance.py) when no label is asked, with weight W
    vae / gan: latent_dim
    vae (optional): latent_prior: "class_gaussians" when the VAE samples from a prior fitted to its
               encoded training images (engine/models/latent_prior.py), one Gaussian per class; it
               needs labels (the classes, K of them). Its tensors are in the weights file beside the
               module's, float32: latent_prior.means (K, D), latent_prior.scale_tril (K, D, D; lower-
               triangular, positive diagonal: the Cholesky factor of each class's covariance) and
               latent_prior.weights (K,; >= 0, how often each class is drawn when no label is asked),
               D = latent_dim. The decoder takes no label: a label picks the class's Gaussian.
               `noisescope fit-prior FOLDER` writes them (and training.latent_prior, how they were fitted).
    pipeline (optional): the pipeline key, when not the family's default
    description, training, data, licence: for people and model cards
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError
from engine.kinds import Family
from engine.models.architectures.checks import (
    MAX_CHANNELS,
    MAX_CLASSES,
    MAX_LATENT_DIM,
    MAX_SIDE,
    check_architecture,
    check_scheduler_config,
    whole,
)
from engine.models.formats import register_format, weights_hash
from engine.models.info import ModelInfo
from engine.models.model_files import MAX_CONFIG_BYTES, read_json_object
from engine.models.model_files import regular_file as _regular_file
from engine.models.safetensors_header import safetensors_parameter_count
from engine.recipe_fields import MAX_GUIDANCE

FORMAT = "noisescope-model"
CONFIG_NAME = "config.json"
DEFAULT_GUIDANCE = 3.0  # what the bundled digits model was tuned for
PRIOR_KIND = "class_gaussians"  # the one latent_prior a config may name
PRIOR_PREFIX = "latent_prior."  # its tensors' keys in the weights file: not part of the module
PRIOR_KEYS = tuple(PRIOR_PREFIX + name for name in ("means", "scale_tril", "weights"))


def is_bundled_folder(folder: Path) -> bool:
    config = folder / CONFIG_NAME
    if not config.is_file():
        return False
    try:
        if config.stat().st_size > MAX_CONFIG_BYTES:
            return True  # read_config says what is wrong
        return json.loads(config.read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return True  # claims to be ours by name; reading it will say what is wrong


def read_config(folder: Path) -> dict[str, Any]:
    """config.json, read and checked: every value the app uses has the right type and a sane size."""
    path = folder / CONFIG_NAME
    config = read_json_object(path, "config file")
    missing = [k for k in ("name", "family", "architecture", "architecture_config", "height", "width", "channels")
               if k not in config]
    if missing:
        raise ModelLoadError(f"{path}: missing field(s) {', '.join(missing)}")
    if config["family"] not in tuple(Family):
        raise ModelLoadError(f"{path}: family must be diffusion, vae or gan, not {config['family']!r}")
    if config["family"] == Family.DIFFUSION and not isinstance(config.get("scheduler"), dict):
        raise ModelLoadError(f"{path}: a diffusion model needs a scheduler config (a JSON object)")
    if config["family"] != Family.DIFFUSION and "latent_dim" not in config:
        raise ModelLoadError(f"{path}: a {config['family']} model needs latent_dim")
    _check_values(config, path)
    check_architecture(config["architecture"], config["architecture_config"], path)
    if config["family"] == Family.DIFFUSION:
        check_scheduler_config(config["scheduler"], f"{path} (scheduler)")
    _check_agreement(config, path)
    return config


def _check_values(config: dict[str, Any], path: Path) -> None:
    for key in ("height", "width"):
        whole(config[key], key, path, 1, MAX_SIDE, "larger images do not fit in a desktop's memory")
    whole(config["channels"], "channels", path, 1, MAX_CHANNELS)
    if "latent_dim" in config:
        whole(config["latent_dim"], "latent_dim", path, 1, MAX_LATENT_DIM)
    for key in ("name", "description", "pipeline", "weights"):
        if key in config and not isinstance(config[key], str):
            raise ModelLoadError(f"{path}: {key} must be text, not {config[key]!r}")
    if not config["name"].strip():
        raise ModelLoadError(f"{path}: name must not be empty")
    labels = config.get("labels")
    if labels is not None and (not isinstance(labels, list) or len(labels) > MAX_CLASSES
                               or not all(isinstance(label, str | int) for label in labels)):
        raise ModelLoadError(f"{path}: labels must be a list of at most {MAX_CLASSES:,} class names, or null")
    if config.get("null_label") is not None:
        whole(config["null_label"], "null_label", path, 0, MAX_CLASSES)
    _check_prior(config, path)
    _check_default_guide(config, path)


def _check_prior(config: dict[str, Any], path: Path) -> None:
    prior = config.get("latent_prior")
    if prior is None:
        return
    if config["family"] != Family.VAE:
        raise ModelLoadError(f"{path}: latent_prior is for a VAE; a {config['family']} model samples its own way, "
                             "so remove it")
    if prior != PRIOR_KIND:
        raise ModelLoadError(f"{path}: latent_prior must be {PRIOR_KIND!r} (or absent), not {prior!r}")
    if not config.get("labels"):
        raise ModelLoadError(f"{path}: latent_prior {PRIOR_KIND!r} needs labels, one per Gaussian (the classes "
                             "it was fitted to); run `noisescope fit-prior` on the folder to write both")


def _check_default_guide(config: dict[str, Any], path: Path) -> None:
    guide = config.get("default_guide")
    if guide is None:
        return
    example = '{"model": "digits-diffusion-early", "guidance": 3.0}'
    if config["family"] != Family.DIFFUSION:
        raise ModelLoadError(f"{path}: default_guide is for a diffusion model (autoguidance); a {config['family']} "
                             "model makes its image in one pass, so remove it")
    if not isinstance(guide, dict) or set(guide) != {"model", "guidance"}:
        raise ModelLoadError(f"{path}: default_guide must be an object with model and guidance, like {example}, "
                             f"not {guide!r:.200}")
    model, weight = guide["model"], guide["guidance"]
    if not isinstance(model, str) or not model.strip() or model.strip().lower() == "none":
        raise ModelLoadError(f"{path}: default_guide's model must name a model (see `noisescope models`), "
                             f"not {model!r}")
    if model == config["name"]:
        raise ModelLoadError(f"{path}: default_guide names the model itself; a model cannot guide itself: name "
                             "a weaker checkpoint of it")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= MAX_GUIDANCE:
        raise ModelLoadError(f"{path}: default_guide's guidance must be a number from 0 to {MAX_GUIDANCE:g}, "
                             f"not {weight!r}")


def _check_agreement(config: dict[str, Any], path: Path) -> None:
    """The sizes the app reads (height, width, channels, latent_dim) are the ones the architecture builds."""
    arch = config["architecture_config"]
    pairs = [("latent_dim", "latent_dim"), ("channels", "in_channels" if "in_channels" in arch else "channels")]
    if config["architecture"] != "UNet2DModel":  # a decoder makes images of its own size
        pairs += [("height", "image_size"), ("width", "image_size")]
    for ours, theirs in pairs:
        if config.get(ours) is not None and theirs in arch and arch[theirs] != config[ours]:
            raise ModelLoadError(f"{path}: {ours} is {config[ours]} but architecture_config's {theirs} is "
                                 f"{arch[theirs]}; make them equal")
    if config["architecture"] == "UNet2DModel":  # any size the UNet can halve once per block but the last
        halvings = len(arch.get("block_out_channels", [0] * 4)) - 1
        for key in ("height", "width"):
            if config[key] % 2**halvings:
                raise ModelLoadError(f"{path}: {key} {config[key]} cannot be halved {halvings} times (once per "
                                     f"block but the last): make it a multiple of {2**halvings}")


def weights_path(folder: Path, config: dict[str, Any]) -> Path:
    """The weight file named by the config: a regular file inside the model folder, or ModelLoadError."""
    name = config.get("weights", "model.safetensors")
    path = folder / name
    inside = folder.resolve()
    if Path(name).is_absolute() or not path.resolve().is_relative_to(inside):
        raise ModelLoadError(f"{folder / CONFIG_NAME}: weights {name!r} must name a file inside the model "
                             f"folder {folder}")
    _regular_file(path, "weight file")
    return path


def _default_guidance(config: dict[str, Any], path: Path) -> float | None:
    if config.get("null_label") is None:
        return None  # nothing to guide against
    value = config.get("default_guidance", DEFAULT_GUIDANCE)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelLoadError(f"{path}: default_guidance must be a number, not {value!r}")
    return float(value)


def bundled_info(folder: Path, origin: str) -> ModelInfo:
    config = read_config(folder)
    labels = config.get("labels")
    weights = weights_path(folder, config)
    family = Family(config["family"])
    return ModelInfo(
        name=str(config["name"]),
        family=family,
        format=NoisescopeFormat.id,
        source=str(folder),
        origin=origin,
        height=int(config["height"]),
        width=int(config["width"]),
        channels=int(config["channels"]),
        labels=tuple(str(label) for label in labels) if labels else None,
        supports_guidance=config.get("null_label") is not None,
        requires_label=bool(labels) and family == Family.DIFFUSION and config.get("null_label") is None,
        latent_dim=config.get("latent_dim"),
        parameters=parameter_count(weights),
        description=str(config.get("description", "")),
        pipeline=str(config.get("pipeline", "")),
        default_guidance=_default_guidance(config, folder / CONFIG_NAME),
        train_timesteps=config["scheduler"].get("num_train_timesteps", 1000) if family == Family.DIFFUSION else None,
        latent_prior=config.get("latent_prior"),
        default_guide=config["default_guide"]["model"] if config.get("default_guide") else None,
        default_guide_guidance=float(config["default_guide"]["guidance"]) if config.get("default_guide") else None,
        background=_background(config),
    )


def _background(config: dict[str, Any]) -> str | None:
    """data.background, as `noisescope train --background` records it (a name like "white"; else not known)."""
    data = config.get("data")
    value = data.get("background") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def parameter_count(weights: Path) -> int | None:
    """The module's values in a safetensors file (a latent prior's tensors are not the module's)."""
    if weights.suffix.lower() != ".safetensors":
        return None
    return safetensors_parameter_count(weights, skip_prefix=PRIOR_PREFIX)


class NoisescopeFormat:
    id = "noisescope"
    label = f"a Noisescope {CONFIG_NAME} (format {FORMAT})"

    def detect(self, folder: Path) -> bool:
        return is_bundled_folder(folder)

    def describe(self, folder: Path, origin: str) -> ModelInfo:
        return bundled_info(folder, origin)

    def weights_file(self, info: ModelInfo) -> Path:
        folder = Path(info.source)
        return weights_path(folder, read_config(folder))

    def load(self, info: ModelInfo, device, dtype):
        from engine.models.bundled import load_bundled

        return load_bundled(info, device, dtype)

    def hash(self, info: ModelInfo) -> str:
        return weights_hash(self, info)


register_format(NoisescopeFormat())
