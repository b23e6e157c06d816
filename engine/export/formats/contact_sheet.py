"""A contact sheet PNG: every k-th step of one sample, labelled (drawn by engine.export.contact_sheet)."""

from __future__ import annotations

from pathlib import Path

from engine.export.a1111 import RestoredRecipe
from engine.export.contact_sheet import save_contact_sheet
from engine.export.formats.base import ExportFormat, ExportOptions, Kind, Needs, base_name
from engine.export.formats.reading import png_recipe
from engine.trajectory import Trajectory


class ContactSheet(ExportFormat):
    id, label, kind, suffixes, needs = ("sheet", "Contact sheet (every k-th step, labelled)", Kind.STEPS, (".png",),
                                        Needs.STEPS)

    def file_name(self, trajectory: Trajectory, stem: str, options: ExportOptions) -> str:
        return f"{base_name(trajectory, stem)}-sheet-sample{options.sheet_sample}.png"

    def write(self, trajectory: Trajectory, path: Path, options: ExportOptions,
              model_hash: str | None = None) -> Path:
        return save_contact_sheet(trajectory, path, options.sheet_sample, options.sheet_every, model_hash)

    def read_recipe(self, path: Path) -> RestoredRecipe | None:
        return png_recipe(path)
