"""Every export format, in the order the dialog shows them and a plan writes them.

To add a format: write one module in this folder (an ExportFormat subclass) and add one line to
_ALL. The plan, the dialog, the CLI's `--export`, drop-to-restore and `show` pick it up.
"""

from __future__ import annotations

import logging
from pathlib import Path

from engine.errors import ExportError, NoisescopeError
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
log = logging.getLogger(__name__)
FOREIGN_SUFFIXES = (".jpg", ".jpeg")  # A1111/Forge/SwarmUI JPEGs: read by the image formats' reader


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
    """Every suffix some format reads a recipe from (lower case), and other tools' JPEGs."""
    return tuple(dict.fromkeys([*(s for f in _ALL for s in f.suffixes), *FOREIGN_SUFFIXES]))


def read_recipe(path: Path) -> RestoredRecipe:
    """The recipe a file carries, asking the formats that claim its suffix (case-insensitive)
    first and then the others (a renamed file); ExportError when none finds one.

    Every file gets an answer in bounded time: readers never decode pixels and cap what they
    read (image_metadata.py), and a reader that fails in a way nobody foresaw is turned into a
    message naming the file (and logged), never a traceback in `show` or a silent drop."""
    path = Path(path)
    if not path.exists():
        raise ExportError(f"{path}: no such file")
    if not path.is_file():
        raise ExportError(f"{path.name} is not a regular file (a folder, a pipe or a device): nothing to read")
    claiming = [f for f in _ALL if f.claims(path)]
    for candidate in claiming:
        restored = _ask(candidate, path)
        if restored is not None:
            return restored
    if not claiming:  # no suffix of ours: whichever reader understands the content wins
        first_problem: ExportError | None = None
        for candidate in _ALL:
            try:
                restored = _ask(candidate, path)
            except ExportError as exc:
                first_problem = first_problem or exc
                continue
            if restored is not None:
                return restored
        if first_problem is not None:
            raise first_problem
    raise ExportError(f"{path.name} carries no recipe (no {RECIPE_KEY}, A1111 {PARAMETERS_KEY}, or metadata of "
                      "ComfyUI, InvokeAI, NovelAI, Fooocus or SwarmUI)")


def _ask(candidate: ExportFormat, path: Path) -> RestoredRecipe | None:
    try:
        return candidate.read_recipe(path)
    except NoisescopeError:
        raise
    except RecursionError:
        raise ExportError(f"{path.name}: its metadata is nested too deeply to read") from None
    except MemoryError:
        raise ExportError(f"{path.name}: its metadata is too large to read") from None
    except Exception as exc:  # a broken file reaching a case no reader foresaw: a message, and a log entry
        # debug, not warning: logging's last-resort handler would print the traceback under `show`
        log.debug("reading %s as %s failed", path, candidate.id, exc_info=True)
        detail = f"its metadata has no {exc.args[0]!r}" if isinstance(exc, KeyError) and exc.args else \
            f"{type(exc).__name__}: {str(exc)[:200]}"
        raise ExportError(f"{path.name} is not a readable {candidate.id} file ({detail})") from None
