"""A contact sheet: every k-th step of one sample in a row, labelled with step and noise level.

One row per view (by default the noisy sample x_t above the model's guess x0), the final image
in the last column. Written as a PNG that carries the recipe like every other export.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.atomic import write_atomically
from engine.errors import ExportError
from engine.export.grid import default_scale, upscale
from engine.export.png import image_from_array, png_info
from engine.trajectory import Trajectory

COLUMNS = 10  # the default k aims for about this many steps across
CELL = 96  # pixels a cell aims for, before the label
GAP = 4
LABEL_HEIGHT = 30
ROW_LABEL_WIDTH = 28
BACKGROUND, INK = (255, 255, 255), (0, 0, 0)


def sheet_steps(total: int, every: int | None = None) -> list[int]:
    """Indexes of the steps shown: 0, k, 2k, ... and always the last one."""
    every = every or max(1, -(-total // COLUMNS))
    if every < 1:
        raise ExportError(f"a contact sheet shows every k-th step, k at least 1, not {every}")
    picked = list(range(0, total, every))
    if picked[-1] != total - 1:
        picked.append(total - 1)
    return picked


def contact_sheet(trajectory: Trajectory, sample: int = 0, every: int | None = None,
                  views: tuple[str, ...] = ("x_t", "x0")) -> Image.Image:
    if not trajectory.steps:
        raise ExportError("nothing to show: the run recorded no steps")
    if not 0 <= sample < trajectory.batch:
        raise ExportError(f"sample must be between 0 and {trajectory.batch - 1}, not {sample}")
    picked = sheet_steps(len(trajectory.steps), every)
    height, width = trajectory.steps[0].x_t.shape[1:3]
    scale = default_scale(height, width, CELL)
    cell_h, cell_w = height * scale, width * scale
    columns = len(picked) + (trajectory.final is not None)
    sheet = Image.new("RGB", (ROW_LABEL_WIDTH + columns * (cell_w + GAP) + GAP,
                              len(views) * (cell_h + GAP) + LABEL_HEIGHT + GAP), BACKGROUND)
    draw, font = ImageDraw.Draw(sheet), ImageFont.load_default(size=11)
    for row, view in enumerate(views):
        top = GAP + row * (cell_h + GAP)
        draw.text((4, top + cell_h // 2 - 6), view, fill=INK, font=font)
        frames = [trajectory.frame(index, view) for index in picked]
        cells = [frame[sample] for frame in frames if frame is not None]
        if len(cells) != len(picked):
            raise ExportError(f"this run has no {view} view to show")
        if trajectory.final is not None:
            cells.append(trajectory.final[sample])
        for column, cell in enumerate(cells):
            sheet.paste(_rgb(upscale(cell, scale)), (ROW_LABEL_WIDTH + GAP + column * (cell_w + GAP), top))
    label_top = GAP + len(views) * (cell_h + GAP)
    for column, index in enumerate(picked):
        step = trajectory.steps[index]
        text = f"step {index + 1}/{step.total}\nsigma {step.sigma:.3g}"
        draw.multiline_text((ROW_LABEL_WIDTH + GAP + column * (cell_w + GAP), label_top), text, fill=INK,
                            font=font, spacing=2)
    if trajectory.final is not None:
        draw.text((ROW_LABEL_WIDTH + GAP + len(picked) * (cell_w + GAP), label_top), "final", fill=INK, font=font)
    return sheet


def save_contact_sheet(trajectory: Trajectory, path: Path, sample: int = 0, every: int | None = None,
                       model_hash: str | None = None) -> Path:
    sheet = contact_sheet(trajectory, sample, every)
    if trajectory.recipe is None:
        raise ExportError("nothing to export: the run has not started")
    height, width = trajectory.steps[0].x_t.shape[1:3]
    info = png_info(trajectory.recipe, height, width, model_hash, sample_index=sample)
    return write_atomically(Path(path), lambda temporary: sheet.save(temporary, format="PNG", pnginfo=info))


def _rgb(cell: np.ndarray) -> Image.Image:
    return image_from_array(cell).convert("RGB")
