"""What an export format is: one file kind that writes a run and reads its recipe back.

Every format is one module in this folder with one ExportFormat subclass, listed once in
registry.py. The export plan, the export dialog, the CLI's `--export` choices, drop-to-restore
and `noisescope show` all iterate the registry, so a new format touches nothing else.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np

from engine.errors import ExportError
from engine.export.a1111 import RestoredRecipe
from engine.export.animation import AnimationOptions
from engine.recipe import Recipe
from engine.trajectory import Trajectory


class Needs(str, Enum):
    FINAL = "final"  # the final images: skipped for a run that did not finish
    STEPS = "steps"  # the recorded steps: a cancelled run has them too


class Kind(str, Enum):
    """What a format shows, which is also how the export dialog groups it."""

    IMAGE = "image"  # the final images
    ANIMATION = "animation"  # the steps over time (takes the animation options)
    STEPS = "steps"  # the steps side by side or in one file (sheet, zip, trajectory)


@dataclass(frozen=True)
class ExportOptions:
    """The settings formats share; each format reads the ones it uses."""

    sample: int | None = None  # per-sample formats: this sample only; None: every sample
    animation: AnimationOptions = field(default_factory=AnimationOptions)  # its sample None: the grid
    sheet_every: int | None = None  # every k-th step; None: about ten across
    sheet_sample: int = 0


class ExportFormat(ABC):
    """The protocol. Subclasses set the class attributes and implement file_name and write."""

    id: str  # the word in ExportPlan.formats, `--export`, and the history's export kind
    label: str  # the export dialog's checkbox text
    kind: Kind
    suffixes: tuple[str, ...]  # written with the first; read for any (case-insensitive)
    needs: Needs
    per_sample: bool = False  # one file per sample (write gets options.sample set to each)

    @abstractmethod
    def file_name(self, trajectory: Trajectory, stem: str, options: ExportOptions) -> str:
        """The name written in the export folder (stem: engine.export.plan.file_stem)."""

    @abstractmethod
    def write(self, trajectory: Trajectory, path: Path, options: ExportOptions,
              model_hash: str | None = None) -> Path:
        """Write the file atomically (engine.atomic.write_atomically); ExportError when it cannot."""

    def read_recipe(self, path: Path) -> RestoredRecipe | None:
        """The recipe the file carries; None: "not mine" (no recipe of this format's kind in it)."""
        return None

    def available(self) -> bool:
        """False where this machine cannot write the format (a codec missing): not offered."""
        return True

    def suggested(self, trajectory: Trajectory) -> bool:
        """Ticked when the export dialog opens."""
        return False

    def claims(self, path: Path) -> bool:
        name = Path(path).name.lower()
        return any(name.endswith(suffix) for suffix in self.suffixes)

    def __repr__(self) -> str:
        return f"<export format {self.id}>"


def started_recipe(trajectory: Trajectory) -> Recipe:
    """The run's recipe; ExportError for a run that has not started."""
    if trajectory.recipe is None:
        raise ExportError("nothing to export: the run has not started")
    return trajectory.recipe


def final_images(trajectory: Trajectory) -> np.ndarray:
    """(B, H, W, C) uint8; ExportError for a run that did not finish."""
    if trajectory.final is None:
        raise ExportError("nothing to export: the run did not finish, so it has no final images")
    return trajectory.final


def base_name(trajectory: Trajectory, stem: str) -> str:
    """The name most formats start from: the stem and the first seed."""
    return f"{stem}-seed{started_recipe(trajectory).seed}"


def animation_subject(options: ExportOptions) -> str:
    sample = options.animation.sample
    return "grid" if sample is None else f"sample{sample}"
