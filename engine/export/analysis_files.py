"""The files of `noisescope analyze`: the Plots panel's read-outs (engine/run_analysis.py) written
without a window, each plot as a PNG and its data as CSV, and for a guided run its guidance views.

- {stem}-schedule.csv/.png: sigma and the signal level per kept step;
- {stem}-convergence.csv/.png: x0's mean distance to the final image, and its change per step;
- {stem}-settled.csv/.png: per pixel of every sample, the step it settled at (the map as a picture);
- guided runs: {stem}-noise_cond / noise_uncond / noise_guidance-step{N}.png at one step (the
  conditional and unconditional noise predictions and guidance x their difference, as the
  window's panes show them).
The PNGs carry the run's recipe, as every export does. Step numbers are 1-based, as on the timeline.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from engine.atomic import write_atomically
from engine.errors import ExportError
from engine.export.grid import default_scale, make_grid, upscale
from engine.export.line_chart import Line, line_chart
from engine.export.plan import file_stem
from engine.export.png import save_png
from engine.run_analysis import DEFAULT_TOLERANCE, FINAL, analyze
from engine.trajectory import GUIDED_VIEWS, Trajectory

SIGMA, SIGNAL, TO_FINAL, CHANGE = (224, 160, 48), (96, 176, 240), (240, 96, 96), (128, 208, 128)


def write_analysis(trajectory: Trajectory, out_dir: Path, tolerance: int = DEFAULT_TOLERANCE,
                   step: int | None = None) -> list[Path]:
    """Every file, in out_dir; `step` (0-based, as the trajectory numbers them) chooses the step of the
    guidance views, the last kept one by default. ExportError (or ValueError from the analysis: a
    one-pass run has nothing to plot) says what is wrong."""
    recipe = trajectory.recipe
    if recipe is None or not trajectory.steps:
        raise ExportError("nothing to analyze: the run recorded no steps")
    result = analyze(trajectory, tolerance)
    stem, out_dir = file_stem(trajectory), Path(out_dir)
    plan = result.schedule
    steps = [int(s) for s in plan.step]
    written = [
        _csv(out_dir / f"{stem}-schedule.csv", ["step", "sigma", "signal"], zip(steps, plan.sigma, plan.signal)),
        _png(out_dir / f"{stem}-schedule.png", trajectory, line_chart(
            "Noise schedule: sigma per step", [Line("sigma", plan.step, plan.sigma, SIGMA)], "step", "sigma",
            log_y=True)),
        _png(out_dir / f"{stem}-schedule-signal.png", trajectory, line_chart(
            "Signal level 1/sqrt(1 + sigma^2): the clean image's share of x_t",
            [Line("signal", plan.step, plan.signal, SIGNAL)], "step", "signal")),
    ]
    reference = "final image" if result.reference == FINAL else "last kept step"
    written += [
        _csv(out_dir / f"{stem}-convergence.csv", ["step", f"x0_to_{reference.replace(' ', '_')}", "change_per_step"],
             zip(steps, result.to_final, result.change)),
        _png(out_dir / f"{stem}-convergence.png", trajectory, line_chart(
            f"x0 converging: mean |difference| in levels of 255 (to the {reference})",
            [Line(f"to the {reference}", plan.step, result.to_final, TO_FINAL),
             Line("change per step", plan.step, result.change, CHANGE)], "step", "levels")),
    ]
    settled = result.settled
    batch, height, width = settled.step.shape
    samples, ys, xs = np.indices(settled.step.shape).reshape(3, -1)
    written += [
        _csv(out_dir / f"{stem}-settled.csv", ["sample", "y", "x", f"settled_at_step (tolerance {settled.tolerance})"],
             zip(samples, ys, xs, settled.step.reshape(-1))),
        _png(out_dir / f"{stem}-settled.png", trajectory, settled.image(default_scale(height, width))),
    ]
    if trajectory.guided:
        written += _guidance_views(trajectory, out_dir, stem, step)
    return written


def _guidance_views(trajectory: Trajectory, out_dir: Path, stem: str, step: int | None) -> list[Path]:
    kept = [s.index for s in trajectory.steps]
    position = len(kept) - 1 if step is None else _position(kept, step)
    event = trajectory.steps[position]
    if not event.guided:
        raise ExportError(f"step {event.index} was not guided (a branch that turned guidance on or off); "
                          "pick a guided step with --step")
    files = []
    for view in GUIDED_VIEWS:
        frames = getattr(event, view)
        picture = make_grid(frames)
        picture = upscale(picture, default_scale(*picture.shape[:2]))
        files.append(_png(out_dir / f"{stem}-{view}-step{event.index + 1}.png", trajectory, picture))
    return files


def _position(kept: list[int], step: int) -> int:
    if step in kept:
        return kept.index(step)
    if not kept[0] <= step <= kept[-1] or len(kept) == kept[-1] - kept[0] + 1:
        raise ExportError(f"--step {step} is out of range: the run has steps {kept[0]} to {kept[-1]}")
    nearest = min(kept, key=lambda k: abs(k - step))
    raise ExportError(f"step {step} was not kept (only every few steps' previews were: the preview budget); "
                      f"the nearest kept step is {nearest}")


def _csv(path: Path, header: list[str], rows) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    data = text.getvalue().encode("utf-8")

    def write(temporary: Path) -> None:
        temporary.write_bytes(data)

    return write_atomically(path, write)


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if not np.isfinite(value) else f"{float(value):.6g}"
    return str(int(value)) if isinstance(value, (int, np.integer)) else str(value)


def _png(path: Path, trajectory: Trajectory, picture: np.ndarray) -> Path:
    assert trajectory.recipe is not None
    return save_png(picture, path, trajectory.recipe, sample_index=None)
