"""The shared half of the animation formats: frames from engine.export.animation, one name
scheme, one atomic write. Each animation format adds only its encoder and its reader."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

import numpy as np

from engine.atomic import write_atomically
from engine.export.animation import AnimationOptions, animation_frames
from engine.export.formats.base import ExportFormat, ExportOptions, Kind, Needs, animation_subject, base_name
from engine.export.png import image_from_array
from engine.trajectory import Trajectory

Frames = list[tuple[np.ndarray, int]]  # (frame (H, W, C) uint8, duration in ms)


class AnimationFormat(ExportFormat):
    kind = Kind.ANIMATION
    needs = Needs.STEPS

    def file_name(self, trajectory: Trajectory, stem: str, options: ExportOptions) -> str:
        return f"{base_name(trajectory, stem)}-{options.animation.view}-{animation_subject(options)}{self.suffixes[0]}"

    def write(self, trajectory: Trajectory, path: Path, options: ExportOptions,
              model_hash: str | None = None) -> Path:
        frames = animation_frames(trajectory, options.animation)
        return write_atomically(Path(path), lambda temporary: self.encode(
            temporary, frames, trajectory, options.animation, model_hash))

    @abstractmethod
    def encode(self, temporary: Path, frames: Frames, trajectory: Trajectory, options: AnimationOptions,
               model_hash: str | None) -> None:
        """Write the frames and the recipe into `temporary` (renamed onto the target afterwards)."""


def pillow_frames(frames: Frames):
    """(first image, the other images, every duration): what Pillow's save_all takes."""
    images = [image_from_array(frame) for frame, _ in frames]
    return images[0], images[1:], [duration for _, duration in frames]
