"""What to export from a run, and exporting it: the one place the CLI and the GUI both call.

An ExportPlan names the formats wanted (ids from engine/export/formats/registry.py) and the
options they share; export_run writes them next to each other, each atomically, and returns
what it wrote. A temporary file left by a process killed mid-export (it can never be cleaned up
by the process itself) is swept the next time the same file is exported.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import tempfile
import time
from dataclasses import InitVar, dataclass, field, replace
from pathlib import Path

from engine.atomic import explain_os_error
from engine.errors import ExportError
from engine.export.animation import AnimationOptions
from engine.export.formats import registry
from engine.export.formats.base import ExportOptions, Needs, started_recipe
from engine.trajectory import Trajectory

STALE_AFTER_S = 600  # a temporary file this old belongs to no export still running
NAME_ROOM = 128  # bytes an export's file names take inside the output folder (the stem, suffix and .part)
PATH_MAX = 4096  # Linux's limit on a whole path; others are not smaller in practice


@dataclass(frozen=True)
class ExportPlan:
    formats: tuple[str, ...] = ("png",)  # format ids; written in the registry's order
    sample: int | None = None  # per-sample formats (the PNGs): only this sample; None: every one
    animation: AnimationOptions = field(default_factory=AnimationOptions)  # its sample None: the grid
    sheet_every: int | None = None  # every k-th step; None: about ten across
    sheet_sample: int = 0
    # The flag spelling of earlier callers: ExportPlan(samples=False, grid=True, animations=("gif",),
    # sheet=True, trajectory=True). When any is given, they choose the formats instead.
    samples: InitVar[bool | None] = None
    grid: InitVar[bool | None] = None
    animations: InitVar[tuple[str, ...] | None] = None
    sheet: InitVar[bool | None] = None
    trajectory: InitVar[bool | None] = None

    def __post_init__(self, samples, grid, animations, sheet, trajectory) -> None:
        if any(flag is not None for flag in (samples, grid, animations, sheet, trajectory)):
            chosen = (["png"] if samples is None or samples else []) + (["grid"] if grid else [])
            chosen += list(animations or ()) + (["sheet"] if sheet else []) + (["trajectory"] if trajectory else [])
            object.__setattr__(self, "formats", tuple(chosen))
        object.__setattr__(self, "formats", tuple(dict.fromkeys(self.formats)))
        for format_id in self.formats:
            registry.get(format_id)  # ExportError naming the formats there are

    @property
    def options(self) -> ExportOptions:
        return ExportOptions(sample=self.sample, animation=self.animation, sheet_every=self.sheet_every,
                             sheet_sample=self.sheet_sample)


@dataclass(frozen=True)
class ExportedFile:
    kind: str  # the format's id: png, grid, gif, apng, webp, avif, mp4, sheet, zip, trajectory
    path: Path


def file_stem(trajectory: Trajectory) -> str:
    recipe = started_recipe(trajectory)
    name = Path(trajectory.model_name or recipe.model).name or "model"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40]
    # A short digest of the whole recipe: the same recipe (same pixels) reuses its names, while
    # another label or guidance with the same seed never overwrites an earlier picture.
    digest = hashlib.sha1(recipe.to_json().encode()).hexdigest()[:6]
    return f"{safe}-{recipe.sampler}-{recipe.steps}-{digest}"


def export_run(trajectory: Trajectory, out_dir: Path, plan: ExportPlan, model_hash: str | None = None,
               stem: str | None = None) -> list[ExportedFile]:
    """Write every file the plan asks for into out_dir; ExportError on the first that fails.
    Formats that need the final images are skipped for a run that did not finish."""
    started_recipe(trajectory)  # ExportError for a run that has not started
    if plan.sample is not None and not 0 <= plan.sample < trajectory.batch:
        raise ExportError(f"sample must be between 0 and {trajectory.batch - 1}, not {plan.sample}")
    out_dir, stem = Path(out_dir), stem or file_stem(trajectory)
    written: list[ExportedFile] = []
    for format in registry.formats():
        if format.id not in plan.formats or (format.needs is Needs.FINAL and trajectory.final is None):
            continue
        every = [plan.options]
        if format.per_sample:
            indexes = range(trajectory.batch) if plan.sample is None else [plan.sample]
            every = [replace(plan.options, sample=index) for index in indexes]
        for options in every:
            target = out_dir / format.file_name(trajectory, stem, options)
            sweep_stale_parts(target)
            written.append(ExportedFile(format.id, format.write(trajectory, target, options, model_hash)))
    return written


def check_output_folder(folder: Path) -> Path:
    """ExportError, before a run, when its files could not be written into `folder`: a path too long,
    a file where the folder should be, or a place this process cannot write. Creates nothing."""
    folder = Path(folder).expanduser()
    target = folder / ("x" * NAME_ROOM)  # the longest name an export writes there (its temporary file)
    try:
        name_max = 255
        if any(len(os.fsencode(part)) > name_max for part in folder.parts):
            raise OSError(errno.ENAMETOOLONG, "File name too long")
        if len(os.fsencode(str(target.absolute()))) >= PATH_MAX:
            raise OSError(errno.ENAMETOOLONG, "File name too long")
        existing = folder
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent  # the folder would be made inside its nearest existing parent
        if not existing.is_dir():
            raise ExportError(f"cannot write into {folder}: {existing} is a file, not a folder; choose a folder")
        tempfile.TemporaryFile(dir=existing).close()  # the test that also holds for root and read-only disks
    except OSError as exc:
        raise ExportError(explain_os_error(exc, target)) from None
    return folder


def sweep_stale_parts(target: Path, older_than_s: float = STALE_AFTER_S) -> None:
    """Remove temporary files of earlier, killed exports of target (write_atomically's names)."""
    cutoff = time.time() - older_than_s
    if not target.parent.is_dir():
        return
    for part in target.parent.glob(f".{glob.escape(target.name)}.*.part"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
        except OSError:
            pass  # gone already, or not ours to remove
