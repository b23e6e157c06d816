"""A plain line chart as a picture (Pillow), for `noisescope analyze`: the window's plots are pyqtgraph,
which needs Qt; the CLI never does. Lines over a step axis, a log or linear y axis, a legend, the
data's range on the axes. Enough to read a curve, not a plotting library."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 640, 360
MARGIN = (64, 42, 16, 40)  # left, top, right, bottom: room for the axis labels and the title
BACKGROUND, AXES, TEXT = (24, 24, 28), (150, 150, 160), (225, 225, 230)


@dataclass(frozen=True)
class Line:
    label: str
    x: np.ndarray
    y: np.ndarray  # NaN: no point there (the first step's change)
    colour: tuple[int, int, int]


def line_chart(title: str, lines: list[Line], x_label: str, y_label: str, log_y: bool = False,
               floor: float = 1e-3) -> np.ndarray:
    """(HEIGHT, WIDTH, 3) uint8. With log_y, values are drawn at max(value, floor)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=12)
    left, top, right, bottom = MARGIN[0], MARGIN[1], WIDTH - MARGIN[2], HEIGHT - MARGIN[3]
    draw.text((left, 4), title, fill=TEXT, font=font)

    def scaled(values: np.ndarray) -> np.ndarray:
        return np.log10(np.maximum(values, floor)) if log_y else values.astype(np.float64)

    xs = np.concatenate([line.x for line in lines]).astype(np.float64)
    ys = np.concatenate([scaled(line.y[np.isfinite(line.y)]) for line in lines])
    x0, x1 = (float(xs.min()), float(xs.max())) if xs.size else (0.0, 1.0)
    y0, y1 = (float(ys.min()), float(ys.max())) if ys.size else (0.0, 1.0)
    if not log_y:
        y0 = min(y0, 0.0)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)

    def point(x: float, y: float) -> tuple[float, float]:
        return (left + (x - x0) / (x1 - x0) * (right - left), bottom - (y - y0) / (y1 - y0) * (bottom - top))

    draw.rectangle((left, top, right, bottom), outline=AXES)
    for value in (y0, (y0 + y1) / 2, y1):
        shown = 10 ** value if log_y else value
        _, y = point(x0, value)
        draw.line((left - 4, y, left, y), fill=AXES)
        draw.text((4, y - 7), f"{shown:.3g}", fill=TEXT, font=font)
    for value in _ticks(x0, x1):
        x, _ = point(value, y0)
        draw.line((x, bottom, x, bottom + 4), fill=AXES)
        draw.text((x - 8, bottom + 6), f"{value:g}", fill=TEXT, font=font)
    draw.text(((left + right) / 2 - 12, HEIGHT - 16), x_label, fill=TEXT, font=font)
    draw.text((4, 20), y_label + (" (log)" if log_y else ""), fill=TEXT, font=font)  # above the top tick's value

    legend_x = right - 8
    for number, line in enumerate(lines):
        finite = np.isfinite(line.y)
        points = [point(float(x), float(y)) for x, y in zip(line.x[finite], scaled(line.y[finite]), strict=True)]
        if len(points) > 1:
            draw.line(points, fill=line.colour, width=2)
        elif points:
            px, py = points[0]
            draw.ellipse((px - 2, py - 2, px + 2, py + 2), fill=line.colour)
        label_width = draw.textlength(line.label, font=font)
        y = top + 6 + 16 * number
        draw.line((legend_x - label_width - 26, y + 7, legend_x - label_width - 8, y + 7), fill=line.colour, width=2)
        draw.text((legend_x - label_width, y), line.label, fill=TEXT, font=font)
    return np.asarray(image)


def _ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round step numbers across the axis."""
    span = high - low
    step = max(1, 10 ** math.floor(math.log10(max(span, 1) / count)))
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= count:
            step *= factor
            break
    first = math.ceil(low / step) * step
    return [float(v) for v in np.arange(first, high + step / 2, step)]
