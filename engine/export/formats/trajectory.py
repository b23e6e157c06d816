"""The trajectory file: the whole run in one safetensors file (engine.export.trajectory_file),
to reopen for scrubbing and exporting later without the model."""

from __future__ import annotations

from pathlib import Path

from engine.export.a1111 import RestoredRecipe, restore_from_json
from engine.export.formats.base import ExportFormat, ExportOptions, Kind, Needs, base_name
from engine.export.trajectory_file import SUFFIX, read_trajectory_metadata, save_trajectory
from engine.trajectory import Trajectory


class TrajectoryFile(ExportFormat):
    id, label, kind, needs = "trajectory", "Trajectory file (reopen later to scrub and export)", Kind.STEPS, Needs.STEPS
    suffixes = (SUFFIX, ".safetensors")  # a renamed trajectory file is still one

    def file_name(self, trajectory: Trajectory, stem: str, options: ExportOptions) -> str:
        return f"{base_name(trajectory, stem)}{SUFFIX}"

    def write(self, trajectory: Trajectory, path: Path, options: ExportOptions,
              model_hash: str | None = None) -> Path:
        return save_trajectory(trajectory, path)

    def read_recipe(self, path: Path) -> RestoredRecipe | None:
        return restore_from_json(read_trajectory_metadata(path)["recipe"])
