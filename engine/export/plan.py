"""What to export from a run, and exporting it: the one place the CLI and the GUI both call.

An ExportPlan names the files wanted (sample PNGs, a grid, animations, a contact sheet, the
trajectory file); export_run writes them next to each other, each atomically, and returns what
it wrote. A temporary file left by a process killed mid-export (it can never be cleaned up by
the process itself) is swept the next time the same file is exported.
"""

from __future__ import annotations

import glob
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import ExportError
from engine.export.animation import FORMATS, SUFFIXES, AnimationOptions, save_animation
from engine.export.contact_sheet import save_contact_sheet
from engine.export.grid import save_grid
from engine.export.png import save_png
from engine.export.trajectory_file import SUFFIX as TRAJECTORY_SUFFIX
from engine.export.trajectory_file import save_trajectory
from engine.trajectory import Trajectory

STALE_AFTER_S = 600  # a temporary file this old belongs to no export still running


@dataclass(frozen=True)
class ExportPlan:
    samples: bool = True  # one PNG per sample (or only `sample`'s)
    grid: bool = False  # the batch as one PNG
    animations: tuple[str, ...] = ()  # any of gif, apng, webp, mp4
    animation: AnimationOptions = field(default_factory=AnimationOptions)  # its sample None: the grid
    sheet: bool = False
    sheet_every: int | None = None  # every k-th step; None: about ten across
    sheet_sample: int = 0
    trajectory: bool = False
    sample: int | None = None  # write only this sample's PNG; None: every sample's

    def __post_init__(self) -> None:
        unknown = [f for f in self.animations if f not in FORMATS]
        if unknown:
            raise ExportError(f"animation format must be one of {', '.join(FORMATS)}, not {', '.join(unknown)}")


@dataclass(frozen=True)
class ExportedFile:
    kind: str  # png, grid, gif, apng, webp, mp4, sheet, trajectory
    path: Path


def file_stem(trajectory: Trajectory) -> str:
    recipe = trajectory.recipe
    name = Path(trajectory.model_name or recipe.model).name or "model"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40]
    # A short digest of the whole recipe: the same recipe (same pixels) reuses its names, while
    # another label or guidance with the same seed never overwrites an earlier picture.
    digest = hashlib.sha1(recipe.to_json().encode()).hexdigest()[:6]
    return f"{safe}-{recipe.sampler}-{recipe.steps}-{digest}"


def export_run(trajectory: Trajectory, out_dir: Path, plan: ExportPlan, model_hash: str | None = None,
               stem: str | None = None) -> list[ExportedFile]:
    """Write every file the plan asks for into out_dir; ExportError on the first that fails."""
    recipe = trajectory.recipe
    if recipe is None:
        raise ExportError("nothing to export: the run has not started")
    out_dir, stem = Path(out_dir), stem or file_stem(trajectory)
    base = f"{stem}-seed{recipe.seed}"
    written: list[ExportedFile] = []

    def write(kind: str, name: str, save) -> None:
        target = out_dir / name
        sweep_stale_parts(target)
        written.append(ExportedFile(kind, save(target)))

    if plan.sample is not None and not 0 <= plan.sample < trajectory.batch:
        raise ExportError(f"sample must be between 0 and {trajectory.batch - 1}, not {plan.sample}")
    if plan.samples and trajectory.final is not None:
        indexes = range(len(trajectory.final)) if plan.sample is None else [plan.sample]
        for index in indexes:
            write("png", f"{stem}-seed{recipe.seed + index}.png",
                  lambda t, i=index: save_png(trajectory.final[i], t, recipe, model_hash, sample_index=i))
    if plan.grid and trajectory.final is not None:
        write("grid", f"{base}-grid.png", lambda t: save_grid(trajectory.final, t, recipe, model_hash))
    who = "grid" if plan.animation.sample is None else f"sample{plan.animation.sample}"
    for format in plan.animations:
        write(format, f"{base}-{plan.animation.view}-{who}{SUFFIXES[format]}",
              lambda t, f=format: save_animation(trajectory, t, plan.animation, model_hash, format=f))
    if plan.sheet:
        write("sheet", f"{base}-sheet-sample{plan.sheet_sample}.png",
              lambda t: save_contact_sheet(trajectory, t, plan.sheet_sample, plan.sheet_every, model_hash))
    if plan.trajectory:
        write("trajectory", f"{base}{TRAJECTORY_SUFFIX}", lambda t: save_trajectory(trajectory, t))
    return written


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
