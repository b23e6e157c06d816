"""The events `engine.run` yields: frozen, plain values, CPU uint8 numpy arrays only.

Images are batch-first `(batch, height, width, channels)` uint8 arrays, channels 1 or 3,
marked read-only so a consumer on another thread can never mutate what another one sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.kinds import ErrorKind
from engine.recipe import Recipe


def frozen_array(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class Started:
    recipe: Recipe
    total_steps: int
    image_shape: tuple[int, int, int]  # height, width, channels
    device: str
    dtype: str
    model_name: str
    notices: tuple[str, ...] = ()  # what the run changed and says so (an init image resized): Trajectory.notices


def started(recipe: Recipe, total_steps: int, model, notices: tuple[str, ...] = ()) -> Started:
    info = model.info
    return Started(recipe, total_steps, (info.height, info.width, info.channels), str(model.device),
                   str(model.dtype).removeprefix("torch."), info.name, notices)


@dataclass(frozen=True)
class Step:
    """One model evaluation of the run: the state after it, as previews."""

    index: int  # 0-based
    total: int
    timestep: float
    sigma: float  # noise level of x_t, as sqrt((1 - alpha_bar) / alpha_bar)
    x_t: np.ndarray  # the noisy sample the model saw
    x0: np.ndarray  # the model's prediction of the clean image
    noise: np.ndarray | None  # the model's prediction of the noise (None for VAE and GAN)
    elapsed_s: float
    # Latent models: the step's x0 latents, (B, 4, h, w) float16, read-only, kept so the step can be
    # decoded at full quality later (engine.latent_previews.decode_step). None for pixel models.
    latents: np.ndarray | None = None
    # Guided runs (classifier-free guidance): the conditional and unconditional noise predictions and
    # guidance * (conditional - unconditional), previewed as `noise` is. None for unguided runs.
    noise_cond: np.ndarray | None = None
    noise_uncond: np.ndarray | None = None
    noise_guidance: np.ndarray | None = None

    @property
    def guided(self) -> bool:
        return self.noise_guidance is not None


@dataclass(frozen=True)
class Finished:
    recipe: Recipe
    images: np.ndarray
    duration_s: float


@dataclass(frozen=True)
class Cancelled:
    recipe: Recipe
    at_step: int  # steps completed before the cancel took effect


@dataclass(frozen=True)
class Failed:
    recipe: Recipe | None
    kind: ErrorKind  # a str Enum: comparing with the plain word ("model_load") still works
    message: str


Event = Started | Step | Finished | Cancelled | Failed
