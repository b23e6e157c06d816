"""What a model is, known without loading its weights."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    name: str
    family: str  # diffusion, vae, gan
    format: str  # "noisescope" (bundled format) or "diffusers" (a save_pretrained folder)
    source: str  # the folder it lives in
    origin: str  # bundled, user or path
    height: int
    width: int
    channels: int
    labels: tuple[str, ...] | None = None  # class names, index = class id
    supports_guidance: bool = False  # classifier-free guidance (a null label was trained)
    requires_label: bool = False  # class-conditional with no unconditional mode
    latent_dim: int | None = None  # VAE and GAN
    parameters: int | None = None
    description: str = ""

    @property
    def conditioning(self) -> str:
        return "class labels" if self.labels else "none"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels) if self.labels else None
        data["conditioning"] = self.conditioning
        return data
