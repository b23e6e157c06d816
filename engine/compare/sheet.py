"""A comparison contact sheet: every k-th playhead position across, one row per run and per pair.

    |        sigma 3.71  sigma 1.74  ...  final
    A        [img]       [img]            [img]      under each: the step shown (7/20)
    B        [img]       [img]            [img]
    |A-B|    [heat]      [heat]           [heat]     under each: mean |difference|
    A: a.trajectory.safetensors: DDIM, 20 steps, seed 1, class 3      <- the legend
    [colour bar]

The positions picked are those of the single-run sheet (engine.export.contact_sheet.sheet_steps:
about ten across, always the last one).
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

from engine.compare.alignment import Alignment
from engine.compare.options import CompareOptions
from engine.compare.panes import pairs, position_view, run_caption
from engine.compare.picture import BACKGROUND, GAP, INK, LINE, color_bar, fit, font, position_title, rgb
from engine.compare.runs import LETTERS, CompareRun
from engine.export.contact_sheet import CELL, sheet_steps
from engine.export.grid import default_scale, upscale
from engine.samplers.registry import NO_SAMPLER
from engine.samplers.schedules import DEFAULT_SCHEDULE, SCHEDULES

ROW_LABEL = 44
LEGEND_BAR = 2 * LINE


def comparison_sheet(runs: Sequence[CompareRun], alignment: Alignment, options: CompareOptions,
                     every: int | None = None) -> Image.Image:
    trajectories = [run.trajectory for run in runs]
    picked = sheet_steps(len(alignment), every)
    views = [position_view(trajectories, alignment, index, options) for index in picked]
    height, width = views[0].images[0].shape[:2]
    scale = options.scale or default_scale(height, width, CELL)
    cell_h, cell_w = height * scale, width * scale
    pair_list = pairs(len(runs))
    rows = len(runs) + len(pair_list)
    row_h = cell_h + LINE + GAP
    legend_top = LINE + GAP + rows * row_h
    sheet_w = ROW_LABEL + len(picked) * (cell_w + GAP) + GAP
    sheet_h = legend_top + (len(runs) + 1) * LINE + LEGEND_BAR + GAP
    sheet = Image.new("RGB", (max(sheet_w, 360), sheet_h), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for column, (index, view) in enumerate(zip(picked, views, strict=True)):
        left = ROW_LABEL + column * (cell_w + GAP)
        title = position_title(alignment.positions[index], alignment.mode).removeprefix("noise level ")
        draw.text((left, 1), fit(draw, title.replace("final images", "final"), cell_w), fill=INK, font=font())
        cells = [rgb(image) for image in view.images] + [pair.heat for pair in view.pairs]
        labels = [_step_text(label) for label in view.labels] + [f"{p.difference.mean_abs:.1f}" for p in view.pairs]
        for row, (cell, label) in enumerate(zip(cells, labels, strict=True)):
            top = LINE + GAP + row * row_h
            sheet.paste(Image.fromarray(upscale(cell, scale)), (left, top))
            draw.text((left, top + cell_h), fit(draw, label, cell_w), fill=INK, font=font())
    names = list(LETTERS[:len(runs)]) + [f"|{LETTERS[a]}-{LETTERS[b]}|" for a, b in pair_list]
    for row, name in enumerate(names):
        draw.text((4, LINE + GAP + row * row_h + cell_h // 2 - 6), name, fill=INK, font=font())
    for number, run in enumerate(runs):
        text = f"{LETTERS[number]}: {run.name}: {_recipe_text(run)}"
        draw.text((4, legend_top + number * LINE), fit(draw, text, sheet.width - 8), fill=INK, font=font())
    note = (f"aligned by {'noise level' if alignment.mode == 'sigma' else 'fraction of the run'}; view "
            f"{options.view}, sample {options.sample}; under each heat map: mean |difference| in 0-255 levels")
    draw.text((4, legend_top + len(runs) * LINE), fit(draw, note, sheet.width - 8), fill=INK, font=font())
    color_bar(draw, sheet, 4, legend_top + (len(runs) + 1) * LINE, min(sheet.width - 8, 256), options.heat_scale)
    return sheet


def _step_text(label: str) -> str:
    """`step 7/20, sigma 1.01` -> `7/20` (the column says the level already)."""
    return label.removeprefix("step ").split(",")[0]


def _recipe_text(run: CompareRun) -> str:
    recipe = run.trajectory.recipe
    assert recipe is not None
    parts = [recipe.model, run_caption(run.trajectory), f"seed {recipe.seed}", recipe.conditioning.describe()]
    if recipe.schedule != DEFAULT_SCHEDULE and recipe.sampler != NO_SAMPLER:
        parts.append(f"{SCHEDULES[recipe.schedule].display_name} schedule")
    if recipe.guidance is not None:
        parts.append(f"guidance {recipe.guidance:g}")
    if recipe.eta:
        parts.append(f"eta {recipe.eta:g}")
    return ", ".join(parts)

