"""What a model is, known without loading its weights (torch-free: the window reads it freely)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from engine.kinds import Family

# The pipeline (engine/pipelines/) a family runs on unless its format says otherwise.
DEFAULT_PIPELINES = {Family.DIFFUSION: "class-conditional-diffusion", Family.VAE: "decoder", Family.GAN: "decoder"}


@dataclass(frozen=True)
class ModelInfo:
    name: str
    family: Family  # a plain word ("diffusion") is accepted and turned into the Family
    format: str  # a model-format id (engine/models/formats/): "noisescope", "diffusers", ...
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
    pipeline: str = ""  # key of the pipeline table that runs it; "" = the family's default
    default_guidance: float | None = None  # guidance used when a recipe leaves it unset
    fixed_size: bool = True  # the model only makes height x width images; a recipe's size is ignored
    takes_text: bool = False  # conditioned on a text prompt (TextPrompt recipes)
    size_multiple: int = 8  # width and height must be multiples of this (models that take a size)
    latent_space: str | None = None  # "sd" (SD 1.x/2.x) or "sdxl": which latent-to-RGB map previews use
    prediction_type: str | None = None  # the scheduler config's "epsilon", "v_prediction" ... (diffusers)
    train_timesteps: int | None = None  # the scheduler's num_train_timesteps: a run takes at most this many steps
    # "class_gaussians": a VAE sampling from a prior fitted to its encoded training images, one Gaussian per
    # label (engine/models/latent_prior.py); its labels pick a Gaussian, its decoder takes none
    latent_prior: str | None = None
    # Autoguidance (engine/autoguidance.py): the weaker model that guides this one when no label is asked,
    # and the weight w it is guided with when the recipe leaves guidance unset
    default_guide: str | None = None
    default_guide_guidance: float | None = None
    # The plain background its training images were composited on ("white" for the emoji), when its config
    # records one: a drawing given to it as an init image is drawn in dark strokes on white to match
    background: str | None = None

    def __post_init__(self) -> None:
        # Frozen, so set through object.__setattr__; normalising here keeps every constructor short.
        object.__setattr__(self, "family", Family(self.family))
        if not self.pipeline:
            object.__setattr__(self, "pipeline", DEFAULT_PIPELINES[self.family])

    @property
    def conditioning(self) -> str:
        if self.takes_text:
            return "text prompt"
        return "class labels" if self.labels else "none"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["family"] = self.family.value
        data["labels"] = list(self.labels) if self.labels else None
        data["conditioning"] = self.conditioning
        return data
