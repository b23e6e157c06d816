"""Decode a recorded step again at full quality: from the run on screen ("Decode this step") or
from a trajectory file (`noisescope decode`).

The step's kept x0 latents go through the VAE of the model that made the run (or the one named):
the model is found in the catalog, loaded through the cache (the window's, so a decode of the
model in memory loads nothing), and only its VAE runs; the UNet never does. Every failure is a
NoisescopeError whose message says what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from engine.device import pick_dtype, resolve_device
from engine.errors import InvalidRecipe, ModelLoadError, ModelNotFound, NoisescopeError, OutOfMemory
from engine.latent_previews import decode_step
from engine.model_cache import ModelCache
from engine.models.catalog import find_model
from engine.models.info import ModelInfo
from engine.models.registry import load_model
from engine.trajectory import Trajectory

log = logging.getLogger(__name__)


def step_position(trajectory: Trajectory, number: int) -> int:
    """Where step `number` (1-based, as the timeline counts) is in the recording; InvalidRecipe
    listing the recorded ones when it is not there (a long run keeps every k-th step)."""
    for position, step in enumerate(trajectory.steps):
        if step.index + 1 == number:
            return position
    kept = [s.index + 1 for s in trajectory.steps]
    listed = ", ".join(map(str, kept[:12])) + (f", … {kept[-1]}" if len(kept) > 12 else "")
    raise InvalidRecipe(f"step {number} is not recorded; the recorded steps are {listed or 'none'}")


def check_decodable(trajectory: Trajectory, position: int) -> None:
    """InvalidRecipe unless the step at `position` kept latents to decode (cheap: nothing is loaded)."""
    if trajectory.recipe is None or not trajectory.steps:
        raise InvalidRecipe("the run recorded no steps: there is nothing to decode")
    if not 0 <= position < len(trajectory.steps):
        raise InvalidRecipe(f"step {position + 1} is not recorded (the run kept {len(trajectory.steps)} steps)")
    if trajectory.steps[position].latents is None:
        raise InvalidRecipe("this step kept no latents: only the steps of a latent (Stable Diffusion) model's run, "
                            "previewed and recorded by this version, can be decoded again")


def decoder_model(trajectory: Trajectory, model: str | None = None,
                  extra_model_paths: Iterable[Path] = ()) -> ModelInfo:
    """The model whose VAE decodes the run: `model` (a name or a path) or the one in its recipe."""
    assert trajectory.recipe is not None
    name = model or trajectory.recipe.model
    try:
        info = find_model(name, extra_model_paths)
    except ModelNotFound as exc:
        whose = "" if model else " that made this run"
        raise ModelNotFound(f"decoding needs the VAE of the model{whose}, {name!r}, which is not found here "
                            f"({exc.message})") from None
    if info.latent_space is None:
        raise InvalidRecipe(f"model {info.name} has no VAE (it makes pixels, not latents): decode with the "
                            "Stable Diffusion model that made the run")
    return info


def decode_recorded_step(trajectory: Trajectory, position: int, *, model: str | None = None,
                         cache: ModelCache | None = None, device: str | None = None,
                         extra_model_paths: Iterable[Path] = ()) -> np.ndarray:
    """The step at `position` (in trajectory.steps) decoded by the VAE: (B, H, W, 3) uint8, read-only.
    `device`: None tries the run's own device, then the best one here."""
    check_decodable(trajectory, position)
    info = decoder_model(trajectory, model, extra_model_paths)
    target = _device(device, trajectory)
    try:
        dtype = pick_dtype(target)
        loaded = cache.get(info, target, dtype) if cache is not None else load_model(info, target, dtype)
        return decode_step(trajectory, position, loaded)
    except NoisescopeError:
        raise
    except torch.OutOfMemoryError:
        pass  # freed below, once the exception (and the step tensors its frames hold) is let go
    except RuntimeError as exc:  # a VAE that does not fit these latents (another model's run)
        log.info("decode failed", exc_info=True)
        raise ModelLoadError(f"the VAE of {info.name} cannot decode this run's latents ({exc}); decode with the "
                             "model that made the run") from None
    _free(target)
    raise OutOfMemory(f"not enough memory on {target} to decode this step with the VAE of {info.name}: "
                      "close other programs (or another model's run) and try again, or decode on the CPU")


def _device(name: str | None, trajectory: Trajectory) -> torch.device:
    if name is not None:  # asked for: a device this machine lacks is the person's to fix
        try:
            return resolve_device(name)
        except RuntimeError:  # torch's own words for a name it does not know
            raise InvalidRecipe(f"device {name!r} is not one of auto, cpu, cuda, cuda:N or mps") from None
    recorded = trajectory.recipe.device if trajectory.recipe is not None else "auto"
    try:
        return resolve_device(recorded or "auto")
    except NoisescopeError:  # recorded on a machine with a GPU this one lacks
        return resolve_device("auto")


def _free(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
