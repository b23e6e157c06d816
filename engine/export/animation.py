"""The denoising as an animation: the frames every animation format writes, and their options.

One frame per recorded step (the view chosen: the noisy sample x_t, the model's guess of the
clean image x0, or both side by side), then the final images held for a while. A sample is
shown alone, or the whole batch as a grid. Tiny images are enlarged by an integer
nearest-neighbour factor so the pixels stay crisp. Each file kind is a module of its own in
engine/export/formats/ (gif.py, apng.py, webp.py, avif.py, mp4.py), built on animated.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import ExportError
from engine.export.grid import PADDING, default_scale, make_grid, upscale
from engine.trajectory import Trajectory

VIEWS = ("x_t", "x0", "both")


@dataclass(frozen=True)
class AnimationOptions:
    view: str = "x_t"
    frame_ms: int = 100  # how long each step shows
    hold_ms: int = 1500  # extra time on the last frame
    scale: int | None = None  # integer upscale; None picks a readable size
    sample: int | None = None  # one sample, or None for the batch as a grid

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ExportError(f"animation view must be one of {', '.join(VIEWS)}, not {self.view!r}")
        if not 10 <= self.frame_ms <= 10_000:
            raise ExportError(f"frame duration must be between 10 and 10000 ms, not {self.frame_ms}")
        if not 0 <= self.hold_ms <= 60_000:
            raise ExportError(f"hold must be between 0 and 60000 ms, not {self.hold_ms}")
        if self.scale is not None and not 1 <= self.scale <= 64:
            raise ExportError(f"scale must be between 1 and 64, not {self.scale}")

    def check(self, trajectory: Trajectory) -> None:
        if self.sample is not None and not 0 <= self.sample < trajectory.batch:
            raise ExportError(f"sample must be between 0 and {trajectory.batch - 1}, not {self.sample}")
        if not trajectory.steps:
            raise ExportError("nothing to animate: the run recorded no steps")


def animation_frames(trajectory: Trajectory, options: AnimationOptions) -> list[tuple[np.ndarray, int]]:
    """(frame (H, W, C) uint8, duration in ms) pairs, upscaled; a frame equal to the one before
    it is merged into it (every format would merge it anyway), so counts are predictable."""
    options.check(trajectory)
    pictures = [_picture(step.x_t, step.x0, options) for step in trajectory.steps]
    if trajectory.final is not None:
        pictures.append(_picture(trajectory.final, trajectory.final, options))
    scale = options.scale or default_scale(*pictures[0].shape[:2])
    frames: list[tuple[np.ndarray, int]] = []
    for picture in pictures:
        if frames and np.array_equal(frames[-1][0], picture):
            frames[-1] = (frames[-1][0], frames[-1][1] + options.frame_ms)
        else:
            frames.append((picture, options.frame_ms))
    frames[-1] = (frames[-1][0], frames[-1][1] + options.hold_ms)
    return [(upscale(frame, scale), duration) for frame, duration in frames]


def save_animation(trajectory: Trajectory, path: Path, options: AnimationOptions = AnimationOptions(),
                   model_hash: str | None = None, format: str | None = None) -> Path:
    """Write the animation; the format (an animation format's id) comes from `format` or the suffix."""
    from engine.export.formats.base import ExportOptions, Kind
    from engine.export.formats.registry import formats

    path = Path(path)
    format = format or path.suffix.lower().lstrip(".")
    animations = {f.id: f for f in formats() if f.kind is Kind.ANIMATION}
    if format not in animations:
        raise ExportError(f"animation format must be one of {', '.join(animations)}, not {format!r}")
    return animations[format].write(trajectory, path, ExportOptions(animation=options), model_hash)


def _picture(x_t: np.ndarray, x0: np.ndarray, options: AnimationOptions) -> np.ndarray:
    def one(batch: np.ndarray) -> np.ndarray:
        return batch[options.sample] if options.sample is not None else make_grid(batch)

    if options.view == "x_t":
        return one(x_t)
    if options.view == "x0":
        return one(x0)
    left, right = one(x_t), one(x0)
    gap = np.zeros((left.shape[0], PADDING * 2, left.shape[2]), dtype=np.uint8)
    return np.concatenate([left, gap, right], axis=1)
