"""Every export format, in the order the dialog shows them and a plan writes them.

To add a format: write one module in this folder (an ExportFormat subclass) and add one line to
_ALL. The plan, the dialog, the CLI's `--export`, drop-to-restore and `show` pick it up.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import ExportError
from engine.export.a1111 import RestoredRecipe
from engine.export.formats.apng import Apng
from engine.export.formats.avif import Avif
from engine.export.formats.base import ExportFormat
from engine.export.formats.contact_sheet import ContactSheet
from engine.export.formats.gif import Gif
from engine.export.formats.grid_png import GridPng
from engine.export.formats.mp4 import Mp4
from engine.export.formats.sample_png import SamplePngs
from engine.export.formats.trajectory import TrajectoryFile
from engine.export.formats.webp import WebP
from engine.export.formats.zip_steps import ZipOfSteps
from engine.export.png import PARAMETERS_KEY, RECIPE_KEY

_ALL: tuple[ExportFormat, ...] = (
    SamplePngs(), GridPng(), Gif(), Apng(), WebP(), Mp4(), Avif(), ContactSheet(), ZipOfSteps(), TrajectoryFile(),
)
_available: tuple[ExportFormat, ...] | None = None


def formats() -> tuple[ExportFormat, ...]:
    """The formats this machine can write (checked once: a codec does not come and go)."""
    global _available
    if _available is None:
        _available = tuple(f for f in _ALL if f.available())
    return _available


def ids() -> tuple[str, ...]:
    return tuple(f.id for f in formats())


def get(format_id: str) -> ExportFormat:
    """The format with this id; ExportError naming the ones there are."""
    for candidate in formats():
        if candidate.id == format_id:
            return candidate
    raise ExportError(f"export format must be one of {', '.join(ids())}, not {format_id!r}")


def readable_suffixes() -> tuple[str, ...]:
    """Every suffix some format reads a recipe from (lower case)."""
    return tuple(dict.fromkeys(s for f in _ALL for s in f.suffixes))


def read_recipe(path: Path) -> RestoredRecipe:
    """The recipe a file carries, asking the formats that claim its suffix (case-insensitive)
    first and then the others (a renamed file); ExportError when none finds one."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"{path}: no such file")
    claiming = [f for f in _ALL if f.claims(path)]
    for candidate in claiming:
        restored = candidate.read_recipe(path)
        if restored is not None:
            return restored
    if not claiming:  # no suffix of ours: whichever reader understands the content wins
        first_problem: ExportError | None = None
        for candidate in _ALL:
            try:
                restored = candidate.read_recipe(path)
            except ExportError as exc:
                first_problem = first_problem or exc
                continue
            if restored is not None:
                return restored
        if first_problem is not None:
            raise first_problem
    raise ExportError(f"{path.name} carries no recipe (no {RECIPE_KEY} or A1111 {PARAMETERS_KEY})")
