"""A whole run in one safetensors file, to scrub and export later without the model.

Tensors: per-step uint8 previews stacked as (steps, B, H, W, C) (`x_t`, `x0`, and `noise`
where the family has one), per-step `index`, `timestep`, `sigma`, `elapsed_s`, and `final`
when the run finished; latent models' runs add `latents`, (steps, B, 4, h, w) float16 x0 latents,
so a step decodes at full quality later without the UNet (files without it still load); guided runs
add `noise_cond`, `noise_uncond` and `noise_guidance`, shaped as `noise` (files without them: an
unguided run, or one recorded before they were). Metadata (strings): the recipe JSON, model name, device, outcome,
duration, total steps and the run's notices (JSON list; older files have none). safetensors runs
no code on load, so a file from anyone is safe; one that lacks a part gets a message naming it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engine.atomic import write_atomically
from engine.errors import ExportError, NoisescopeError
from engine.events import Step, frozen_array
from engine.kinds import Outcome
from engine.recipe import Recipe
from engine.trajectory import GUIDED_VIEWS, Trajectory

FORMAT = "noisescope-trajectory"
FORMAT_VERSION = "1"
SUFFIX = ".trajectory.safetensors"
STEP_TENSORS = ("x_t", "x0", "index", "total", "timestep", "sigma", "elapsed_s")  # what every file has


def save_trajectory(trajectory: Trajectory, path: Path) -> Path:
    from safetensors.numpy import save_file

    if trajectory.recipe is None or not trajectory.steps:
        raise ExportError("nothing to save: the run recorded no steps")
    steps = trajectory.steps
    tensors = {
        "x_t": np.stack([s.x_t for s in steps]),
        "x0": np.stack([s.x0 for s in steps]),
        "index": np.array([s.index for s in steps], dtype=np.int64),
        "total": np.array([s.total for s in steps], dtype=np.int64),
        "timestep": np.array([s.timestep for s in steps], dtype=np.float64),
        "sigma": np.array([s.sigma for s in steps], dtype=np.float64),
        "elapsed_s": np.array([s.elapsed_s for s in steps], dtype=np.float64),
    }
    noise = [s.noise for s in steps if s.noise is not None]
    if len(noise) == len(steps):
        tensors["noise"] = np.stack(noise)
    for view in GUIDED_VIEWS:  # every step has them, or the file keeps none (a branch may change the guidance)
        frames = [getattr(s, view) for s in steps]
        if all(frame is not None for frame in frames):
            tensors[view] = np.stack(frames)
    latents = [s.latents for s in steps if s.latents is not None]
    if latents and len(latents) == len(steps):
        tensors["latents"] = np.stack(latents).astype(np.float16, copy=False)
    if trajectory.final is not None:
        tensors["final"] = np.ascontiguousarray(trajectory.final)
    metadata = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "recipe": trajectory.recipe.to_json(),
        "model_name": trajectory.model_name, "device": trajectory.device, "outcome": trajectory.outcome,
        "duration_s": repr(trajectory.duration_s), "total_steps": str(trajectory.total_steps),
        "notices": json.dumps(trajectory.notices),
    }
    return write_atomically(Path(path), lambda temporary: save_file(tensors, str(temporary), metadata=metadata))


def is_trajectory_name(path: Path) -> bool:
    """Whether a file is named like a trajectory (any case; a renamed `.safetensors` counts)."""
    return Path(path).name.lower().endswith(".safetensors")


def read_trajectory_metadata(path: Path) -> dict[str, str]:
    """The metadata strings alone (cheap: no tensor is read)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as handle:
            metadata = handle.metadata() or {}
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # safetensors' own errors for bad headers
        raise ExportError(f"{path}: not a readable safetensors file ({exc})") from None
    if metadata.get("format") != FORMAT:
        raise ExportError(f"{path}: a safetensors file, but not a Noisescope trajectory")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ExportError(f"{path}: trajectory format version {metadata.get('format_version')} is not supported")
    if not metadata.get("recipe"):
        raise ExportError(f"{path}: this trajectory file has no recipe in its metadata (damaged, or written by "
                          "another program), so it cannot be opened; export the run again from Noisescope")
    return metadata


def load_trajectory(path: Path) -> Trajectory:
    from safetensors.numpy import load_file

    metadata = read_trajectory_metadata(path)
    try:
        tensors = load_file(str(path))
    except Exception as exc:
        raise ExportError(f"{path}: the trajectory is corrupt or truncated ({exc})") from None
    missing = [name for name in STEP_TENSORS if name not in tensors]
    count = len(tensors["index"]) if "index" in tensors else 0
    short = [name for name, array in tensors.items() if name != "final" and (array.ndim == 0 or len(array) < count)]
    if missing or short:
        raise ExportError(f"{path}: the trajectory is damaged: " + (
            f"it lacks {', '.join(missing)}" if missing else f"{', '.join(short)} have fewer than {count} steps"))
    noise, latents = tensors.get("noise"), tensors.get("latents")
    guided = {view: tensors[view] for view in GUIDED_VIEWS if view in tensors}
    steps = [
        Step(index=int(tensors["index"][i]), total=int(tensors["total"][i]), timestep=float(tensors["timestep"][i]),
             sigma=float(tensors["sigma"][i]), x_t=frozen_array(tensors["x_t"][i]), x0=frozen_array(tensors["x0"][i]),
             noise=frozen_array(noise[i]) if noise is not None else None, elapsed_s=float(tensors["elapsed_s"][i]),
             latents=frozen_array(latents[i]) if latents is not None else None,
             **{view: frozen_array(frames[i]) for view, frames in guided.items()})
        for i in range(len(tensors["index"]))
    ]
    final = tensors.get("final")
    try:
        recipe = Recipe.from_json(metadata["recipe"])
        outcome = Outcome(metadata.get("outcome", Outcome.FINISHED if final is not None else Outcome.CANCELLED))
        total_steps, duration_s = int(metadata.get("total_steps", count)), float(metadata.get("duration_s", 0.0))
    except NoisescopeError as exc:
        raise ExportError(f"{path}: the recipe in this trajectory cannot be read: {exc.message}") from None
    except ValueError as exc:
        raise ExportError(f"{path}: the trajectory's metadata is damaged ({exc})") from None
    return Trajectory(
        recipe=recipe, total_steps=total_steps, model_name=metadata.get("model_name", recipe.model),
        device=metadata.get("device", ""), steps=steps, final=frozen_array(final) if final is not None else None,
        outcome=outcome, duration_s=duration_s, notices=_notices(metadata.get("notices")),
    )


def _notices(text: str | None) -> list[str]:
    """The run's notices; a file without them (older) or with unreadable ones has none."""
    try:
        notices = json.loads(text) if text else []
    except ValueError:
        return []
    return [str(n) for n in notices] if isinstance(notices, list) else []

