"""The project's own model format: a folder with config.json + weights (safetensors).

config.json:
    format: "noisescope-model", format_version: 1
    name, family (diffusion | vae | gan), architecture, architecture_config, weights
    height, width, channels, labels (class names or null)
    diffusion: scheduler (a diffusers scheduler config), null_label (class id meaning "no label"),
               default_guidance (optional; 3.0 when a null label was trained)
    vae / gan: latent_dim
    pipeline (optional): the pipeline key, when not the family's default
    description, training, data, licence: for people and model cards
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError
from engine.kinds import Family
from engine.models.formats import register_format, weights_hash
from engine.models.info import ModelInfo
from engine.models.safetensors_header import safetensors_parameter_count

FORMAT = "noisescope-model"
CONFIG_NAME = "config.json"
DEFAULT_GUIDANCE = 3.0  # what the bundled digits model was tuned for


def is_bundled_folder(folder: Path) -> bool:
    config = folder / CONFIG_NAME
    if not config.is_file():
        return False
    try:
        return json.loads(config.read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return True  # claims to be ours by name; reading it will say what is wrong


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG_NAME
    try:
        config = json.loads(path.read_text())
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise ModelLoadError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"{path}: expected a JSON object")
    missing = [k for k in ("name", "family", "architecture", "architecture_config", "height", "width", "channels")
               if k not in config]
    if missing:
        raise ModelLoadError(f"{path}: missing field(s) {', '.join(missing)}")
    if config["family"] not in tuple(Family):
        raise ModelLoadError(f"{path}: family must be diffusion, vae or gan, not {config['family']!r}")
    if config["family"] == Family.DIFFUSION and "scheduler" not in config:
        raise ModelLoadError(f"{path}: a diffusion model needs a scheduler config")
    if config["family"] != Family.DIFFUSION and "latent_dim" not in config:
        raise ModelLoadError(f"{path}: a {config['family']} model needs latent_dim")
    return config


def weights_path(folder: Path, config: dict[str, Any]) -> Path:
    return folder / config.get("weights", "model.safetensors")


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
        parameters=safetensors_parameter_count(weights) if weights.suffix == ".safetensors" else None,
        description=str(config.get("description", "")),
        pipeline=str(config.get("pipeline", "")),
        default_guidance=_default_guidance(config, folder / CONFIG_NAME),
    )


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
