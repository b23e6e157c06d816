"""One frame of a comparison animation: the runs side by side, their differences below.

    noise level sigma 1.01                  <- where the playhead is
    [ A ] [ B ] [ C ]                       <- each run's image at that level
    A: DDIM, 20 steps / step 7/20, sigma 1.02
    [|A-B|] [|A-C|] [|B-C|]                 <- heat maps, with the numbers under them
    [colour bar: 0 ... 255 levels]

Tiny images are enlarged by an integer nearest-neighbour factor (engine.export.grid), so each
pane is wide enough for its label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.compare.alignment import Alignment, Position
from engine.compare.colormap import TABLE
from engine.compare.difference import FULL_SCALE
from engine.compare.options import CompareOptions
from engine.compare.panes import PositionView, run_caption
from engine.compare.runs import LETTERS
from engine.export.grid import default_scale, make_grid, upscale
from engine.trajectory import Trajectory

PANE = 160  # pixels a pane aims for: room for a label of about 25 characters
GAP = 6
LINE = 13  # one line of text
HEADER = 20
BAR = 10
BACKGROUND, INK = (255, 255, 255), (0, 0, 0)


def font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=11)


def fit(draw: ImageDraw.ImageDraw, text: str, width: int) -> str:
    """The text, cut with `...` to fit `width` pixels (a long run name must not cover its neighbour)."""
    if draw.textlength(text, font=font()) <= width:
        return text
    while text and draw.textlength(text + "...", font=font()) > width:
        text = text[:-1]
    return text + "..."


def rgb(image: np.ndarray) -> np.ndarray:
    """(H, W, 1 or 3) -> (H, W, 3) uint8."""
    return np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image


def position_title(position: Position, mode: str) -> str:
    if position.final:
        return "final images"
    if mode == "sigma":
        return f"noise level sigma {position.level:.3g}"
    return f"{position.level:.0%} of the run"


def color_bar(draw: ImageDraw.ImageDraw, canvas: Image.Image, left: int, top: int, width: int,
              scale: float) -> None:
    """The heat map's key: black (no difference) to white (`scale` levels or more)."""
    bar = TABLE[np.linspace(0, len(TABLE) - 1, width).round().astype(np.intp)]
    canvas.paste(Image.fromarray(np.repeat(bar[None], BAR, axis=0)), (left, top))
    draw.text((left, top + BAR + 1), "|difference| 0", fill=INK, font=font())
    right = f"{scale:g} levels" if scale < FULL_SCALE else f"{FULL_SCALE} levels"
    draw.text((left + width - draw.textlength(right, font=font()), top + BAR + 1), right, fill=INK, font=font())


def pane_scale(images: Sequence[np.ndarray], options: CompareOptions) -> int:
    height, width = images[0].shape[:2]
    return options.scale or default_scale(height, width, PANE)


def comparison_frame(trajectories: Sequence[Trajectory], alignment: Alignment, index: int,
                     view: PositionView, options: CompareOptions) -> np.ndarray:
    """(H, W, 3) uint8: the picture of one playhead position."""
    scale = pane_scale(view.images, options)
    runs = [rgb(upscale(image, scale)) for image in view.images]
    heats = [upscale(pair.heat, scale) for pair in view.pairs]
    pane_h, pane_w = runs[0].shape[:2]
    columns = max(len(runs), 2)
    pair_rows = math.ceil(len(heats) / columns)
    width = columns * (pane_w + GAP) + GAP
    row_h = pane_h + 2 * LINE + GAP
    height = HEADER + row_h * (1 + pair_rows) + BAR + LINE + 2 * GAP
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    draw.text((GAP, 4), position_title(alignment.positions[index], alignment.mode), fill=INK, font=font())
    top = HEADER
    canvas.paste(Image.fromarray(make_grid(np.stack(runs), columns=len(runs), padding=GAP, fill=255)), (GAP, top))
    for column, (trajectory, label) in enumerate(zip(trajectories, view.labels, strict=True)):
        left = GAP + column * (pane_w + GAP)
        draw.text((left, top + pane_h + 1), fit(draw, f"{LETTERS[column]}: {run_caption(trajectory)}", pane_w),
                  fill=INK, font=font())
        draw.text((left, top + pane_h + 1 + LINE), fit(draw, label, pane_w), fill=INK, font=font())
    top += row_h
    for number, (pair, heat) in enumerate(zip(view.pairs, heats, strict=True)):
        left, pane_top = GAP + (number % columns) * (pane_w + GAP), top + (number // columns) * row_h
        canvas.paste(Image.fromarray(heat), (left, pane_top))
        label_top = pane_top + pane_h + 1
        draw.text((left, label_top), fit(draw, f"{pair.name} {pair.difference.mean_abs:.1f}", pane_w), fill=INK,
                  font=font())
        psnr = pair.difference.psnr_db
        draw.text((left, label_top + LINE), "identical" if math.isinf(psnr) else f"PSNR {psnr:.1f} dB", fill=INK,
                  font=font())
    color_bar(draw, canvas, GAP, top + pair_rows * row_h, min(width - 2 * GAP, 256), options.heat_scale)
    return np.asarray(canvas)
