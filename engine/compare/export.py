"""Writing a comparison: one animation per format asked for, one contact sheet, each carrying
every run's recipe (the comparison document, engine/compare/metadata.py).

Where the file holds named texts, run A's recipe also stands alone where every reader looks
(PNG: `parameters` and `noisescope_recipe` chunks beside a `noisescope_comparison` chunk;
WebP: two XMP attributes). A GIF's comment and an MP4's comment tag hold the document itself.
Every write is atomic (engine.atomic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from engine.atomic import write_atomically
from engine.compare.alignment import Alignment, align
from engine.compare.metadata import COMPARISON_KEY, ComparedRun, Comparison
from engine.compare.options import CompareOptions
from engine.compare.panes import PositionView, position_view
from engine.compare.picture import comparison_frame
from engine.compare.runs import CompareRun, check_runs, image_size
from engine.compare.sheet import comparison_sheet
from engine.errors import CompareError
from engine.export.formats.mp4 import encode_mp4
from engine.export.png import image_from_array, png_info
from engine.export.xmp import xmp_packet

ANIMATIONS = ("gif", "webp", "apng", "mp4")
SHEET = "sheet"
FORMATS = (*ANIMATIONS, SHEET)
MAX_PANE = 4096  # pixels across one pane: past it a frame of four runs would not fit in memory comfortably
SUFFIXES = {"gif": ".gif", "webp": ".webp", "apng": ".apng", "mp4": ".mp4", SHEET: ".png"}

Frames = list[tuple[np.ndarray, int]]  # (frame (H, W, 3) uint8, duration in ms)


@dataclass(frozen=True)
class ComparisonResult:
    alignment: Alignment
    comparison: Comparison  # the document written into every file
    final: PositionView  # the last position: the final images and their differences
    notes: tuple[str, ...]  # for the person: one-pass runs, runs that did not finish
    files: tuple[Path, ...]


def describe_comparison(runs: Sequence[CompareRun], alignment: Alignment, options: CompareOptions,
                        final: PositionView) -> Comparison:
    compared = tuple(ComparedRun(run.name, run.trajectory.recipe, run.trajectory.model_name, len(run.trajectory.steps),
                                 run.trajectory.outcome.value) for run in runs if run.trajectory.recipe is not None)
    differences = tuple((p.first, p.second, round(p.difference.mean_abs, 4), p.difference.to_dict()["psnr_db"])
                        for p in final.pairs)
    return Comparison(alignment.mode, options.view, options.sample, compared, differences)


def file_stem(options: CompareOptions) -> str:
    return f"comparison-{options.align}-{options.view}-sample{options.sample}"


def export_comparison(runs: Sequence[CompareRun], out_dir: Path, formats: Sequence[str] = ("gif", SHEET),
                      options: CompareOptions | None = None, sheet_every: int | None = None) -> ComparisonResult:
    """Check, align and write; CompareError (or ExportError from the disk) saying what is wrong."""
    options = options or CompareOptions()
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise CompareError(f"a comparison is written as {', '.join(FORMATS)}, not {', '.join(map(repr, unknown))}")
    notes = check_runs(runs, options.sample)
    if options.scale is not None and max(image_size(runs[0].trajectory)) * options.scale > MAX_PANE:
        raise CompareError(f"scale {options.scale} makes each pane {max(image_size(runs[0].trajectory)) * options.scale}"
                           f" pixels across; at most {MAX_PANE}: pick a smaller scale")
    trajectories = [run.trajectory for run in runs]
    alignment = align(trajectories, options.align)
    final = position_view(trajectories, alignment, len(alignment) - 1, options)
    comparison = describe_comparison(runs, alignment, options, final)
    frames = comparison_frames(runs, alignment, options) if any(f in ANIMATIONS for f in formats) else []
    out_dir = Path(out_dir)
    written = []
    for format_id in dict.fromkeys(formats):
        path = out_dir / (file_stem(options) + ("-sheet" if format_id == SHEET else "") + SUFFIXES[format_id])
        if format_id == SHEET:
            sheet = comparison_sheet(runs, alignment, options, sheet_every)
            written.append(write_atomically(path, partial(_sheet, sheet=sheet, runs=runs, comparison=comparison)))
        else:
            written.append(write_atomically(path, partial(_ENCODERS[format_id], frames=frames, runs=runs,
                                                          comparison=comparison, options=options)))
    return ComparisonResult(alignment, comparison, final, tuple(notes), tuple(written))


def comparison_frames(runs: Sequence[CompareRun], alignment: Alignment, options: CompareOptions) -> Frames:
    """One frame per playhead position, the final one held for options.hold_ms."""
    trajectories = [run.trajectory for run in runs]
    frames: Frames = []
    for index in range(len(alignment)):
        view = position_view(trajectories, alignment, index, options)
        frames.append((comparison_frame(trajectories, alignment, index, view, options), options.frame_ms))
    frames[-1] = (frames[-1][0], frames[-1][1] + options.hold_ms)
    return frames


def _png_texts(runs: Sequence[CompareRun], comparison: Comparison) -> PngImagePlugin.PngInfo:
    first = runs[0].trajectory
    assert first.recipe is not None
    height, width = image_size(first)
    info = png_info(first.recipe, height, width, sample_index=comparison.sample)
    info.add_text(COMPARISON_KEY, comparison.to_json())
    return info


def _sheet(temporary: Path, sheet: Image.Image, runs: Sequence[CompareRun], comparison: Comparison) -> None:
    sheet.save(temporary, format="PNG", pnginfo=_png_texts(runs, comparison))


def _pillow(frames: Frames) -> tuple[Image.Image, list[Image.Image], list[int]]:
    images = [image_from_array(frame) for frame, _ in frames]
    return images[0], images[1:], [duration for _, duration in frames]


def _gif(temporary: Path, frames: Frames, runs, comparison: Comparison, options: CompareOptions) -> None:
    first, rest, durations = _pillow(frames)
    first.save(temporary, format="GIF", save_all=True, append_images=rest, duration=durations, loop=0,
               comment=comparison.to_json().encode())


def _webp(temporary: Path, frames: Frames, runs, comparison: Comparison, options: CompareOptions) -> None:
    first, rest, durations = _pillow(frames)
    recipe_json = runs[0].trajectory.recipe.to_json()
    first.save(temporary, format="WEBP", save_all=True, append_images=rest, duration=durations, loop=0,
               lossless=True, xmp=xmp_packet(recipe_json, comparison.to_json()))


def _apng(temporary: Path, frames: Frames, runs, comparison: Comparison, options: CompareOptions) -> None:
    first, rest, durations = _pillow(frames)
    first.save(temporary, format="PNG", save_all=True, append_images=rest, duration=durations, loop=0,
               pnginfo=_png_texts(runs, comparison))


def _mp4(temporary: Path, frames: Frames, runs, comparison: Comparison, options: CompareOptions) -> None:
    encode_mp4(temporary, frames, options.frame_ms, {
        "comment": comparison.to_json(), "title": f"Noisescope comparison of {len(runs)} runs"})


_ENCODERS = {"gif": _gif, "webp": _webp, "apng": _apng, "mp4": _mp4}
