"""The architectures of the bundled format, by the name a config.json gives them.

This package's __init__ and checks.py are torch-free (the catalog checks configs with them);
the architectures themselves import torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import ModelLoadError
from engine.models.architectures.checks import check_architecture

if TYPE_CHECKING:
    from torch import nn

MAX_PARAMETERS = 4_000_000_000  # 16 GB in float32: more than this app runs on any machine it targets


def build_module(architecture: str, config: dict[str, Any], where: Path | str = "",
                 expected_values: int | None = None) -> nn.Module:
    """Build an untrained module from its config; weights are loaded separately and safely.

    The config is checked, then the module is built on torch's "meta" device (shapes only, no
    memory) and its size compared with the weights (`expected_values`, from the safetensors header)
    and MAX_PARAMETERS: a config that would allocate more than its weights hold is refused first."""
    import torch

    where = where or architecture
    check_architecture(architecture, config, where)
    with torch.device("meta"):
        shape = _construct(architecture, config, where)
    values = sum(tensor.numel() for tensor in shape.state_dict().values())
    if expected_values is not None and values != expected_values:
        raise ModelLoadError(f"{where}: the weights do not match the architecture in its config (the config "
                             f"builds {values:,} values, the weights hold {expected_values:,})")
    if values > MAX_PARAMETERS:
        raise ModelLoadError(f"{where}: the config builds {values:,} parameters, more than the "
                             f"{MAX_PARAMETERS:,} this app loads")
    return _construct(architecture, config, where)


def _construct(architecture: str, config: dict[str, Any], where: Path | str) -> nn.Module:
    try:
        if architecture == "UNet2DModel":
            from diffusers import UNet2DModel

            return UNet2DModel.from_config(config)
        if architecture == "ConvVAE":
            from engine.models.architectures.vae import ConvVAE

            return ConvVAE(**config)
        from engine.models.architectures.gan import DCGANGenerator

        return DCGANGenerator(**config)
    except Exception as exc:  # any error building from a file's values is that file's fault
        # A keyword the constructor does not take, or values it cannot build from (diffusers raises
        # TypeError, ValueError, KeyError, even UnboundLocalError for some combinations).
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"{where}: cannot build {architecture} from its architecture_config ({text})") from None
