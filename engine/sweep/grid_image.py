"""A sweep's labelled grid, as AUTOMATIC1111's X/Y/Z plot draws it.

X values label the columns along the top, Y values the rows down the left (`Steps: 10`, text
wrapped to the cell, font size (width + height) / 25 of a cell, as A1111's
draw_grid_annotations); each Z value is a sub-grid of its own, titled above it, the sub-grids
side by side. A title line above all names what every cell shares (the legend). Cells are
tiled by engine/export/grid.make_grid, upscaled nearest-neighbour so tiny images stay crisp.
The PNG carries the first cell's A1111 text and recipe (so dropping it restores a recipe) and
the whole sweep, every cell's recipe included, under `noisescope_sweep`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin, features

from engine.atomic import write_atomically
from engine.export.a1111 import a1111_parameters
from engine.export.grid import default_scale, make_grid, upscale
from engine.export.png import PARAMETERS_KEY, RECIPE_KEY
from engine.recipe import Recipe
from engine.recipe_fields import FIELDS
from engine.samplers.registry import NO_SAMPLER
from engine.sweep.plan import SweepPlan

SWEEP_KEY = "noisescope_sweep"
CELL_TARGET = 192  # a cell is upscaled to about this many pixels across
PADDING = 2  # between cells
WHITE, INK = 255, (0, 0, 0)


@dataclass
class GridLayout:
    """Where everything goes: the picture's size, each cell's top-left, each label's box."""

    size: tuple[int, int]  # width, height
    tile: tuple[int, int]  # a cell's width, height
    cells: dict[int, tuple[int, int]] = field(default_factory=dict)  # cell index -> (left, top)
    labels: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)  # text, (l, t, r, b)


def sweep_grid(plan: SweepPlan, images: dict[int, np.ndarray],
               recipes: dict[int, Recipe] | None = None) -> tuple[np.ndarray, GridLayout]:
    """The labelled grid (H, W, 3) uint8 and its layout; images: cell index -> (H, W, C) uint8,
    recipes: the cells' recipes as run (the title names what the first one shares with all).
    A cell with no image (a sweep stopped early) stays blank."""
    tiles = _tiles(images)
    some = next(iter(tiles.values()), None)
    tile_h, tile_w = some.shape[:2] if some is not None else (CELL_TARGET, CELL_TARGET)
    layout = layout_grid(plan, tile_w, tile_h, (recipes or {}).get(0))
    font = _font(_font_size(tile_w, tile_h))
    picture = Image.new("RGB", layout.size, (WHITE,) * 3)
    columns, rows, _ = plan.shape
    blank = np.full((tile_h, tile_w, 3), WHITE, np.uint8)
    for z, left, top in _sub_grids(plan, layout):
        cells = [plan.cell_at(x, y, z) for y in range(rows) for x in range(columns)]
        sub = make_grid(np.stack([tiles.get(cell.index, blank) for cell in cells]), columns, PADDING, fill=WHITE)
        picture.paste(Image.fromarray(sub), (left, top))
    draw = ImageDraw.Draw(picture)
    for text, box in layout.labels:
        draw.multiline_text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), text, fill=INK, font=font, anchor="mm",
                            align="center")
    return np.asarray(picture), layout


def layout_grid(plan: SweepPlan, tile_w: int, tile_h: int, first: Recipe | None = None) -> GridLayout:
    columns, rows, subs = plan.shape
    size = _font_size(tile_w, tile_h)
    font, margin = _font(size), size // 2
    line = size + size // 2  # A1111's line spacing
    grid_w, grid_h = columns * tile_w + (columns - 1) * PADDING, rows * tile_h + (rows - 1) * PADDING
    x_labels = [_wrap(text, font, tile_w - margin) for text in plan.axes[0].labels()]
    y_labels = [_wrap(text, font, tile_w * 3 // 4 - margin) for text in plan.axes[1].labels()] if len(
        plan.axes) > 1 else []
    z_labels = [_wrap(text, font, grid_w) for text in plan.axes[2].labels()] if len(plan.axes) > 2 else []
    left_w = tile_w * 3 // 4 if y_labels else 0
    top_h = max(len(text.splitlines()) for text in x_labels) * line + 2 * margin
    z_h = max((len(text.splitlines()) for text in z_labels), default=0) * line + (2 * margin if z_labels else 0)
    gap = 2 * size if subs > 1 else 0
    sub_w, sub_h = left_w + grid_w, z_h + top_h + grid_h
    width = subs * sub_w + (subs - 1) * gap
    title = _wrap(_title(plan, first or plan.cells[0].recipe), font, width - 2 * margin)
    title_h = len(title.splitlines()) * line + 2 * margin
    layout = GridLayout((width, title_h + sub_h), (tile_w, tile_h))
    layout.labels.append((title, (0, 0, width, title_h)))
    for z in range(subs):
        origin = z * (sub_w + gap)
        if z_labels:
            layout.labels.append((z_labels[z], (origin, title_h, origin + sub_w, title_h + z_h)))
        grid_left, grid_top = origin + left_w, title_h + z_h + top_h
        for x, text in enumerate(x_labels):
            left = grid_left + x * (tile_w + PADDING)
            layout.labels.append((text, (left, grid_top - top_h, left + tile_w, grid_top)))
        for y, text in enumerate(y_labels):
            top = grid_top + y * (tile_h + PADDING)
            layout.labels.append((text, (origin, top, grid_left, top + tile_h)))
        for y in range(rows):
            for x in range(columns):
                layout.cells[plan.cell_at(x, y, z).index] = (grid_left + x * (tile_w + PADDING),
                                                             grid_top + y * (tile_h + PADDING))
    return layout


def _sub_grids(plan: SweepPlan, layout: GridLayout):
    """(z, left, top) of each sub-grid's first cell."""
    for z in range(plan.shape[2]):
        yield (z, *layout.cells[plan.cell_at(0, 0, z).index])


def save_sweep_grid(plan: SweepPlan, images: dict[int, np.ndarray], path: Path,
                    recipes: dict[int, Recipe] | None = None, model_hash: str | None = None) -> Path:
    """Write the grid PNG with the sweep in its metadata; recipes: the cells' recipes as run."""
    picture, _ = sweep_grid(plan, images, recipes)
    first = (recipes or {}).get(0, plan.cells[0].recipe)
    height, width = next(iter(images.values())).shape[:2] if images else (0, 0)
    info = PngImagePlugin.PngInfo()
    info.add_text(PARAMETERS_KEY, a1111_parameters(first, height, width, model_hash, sample_index=None))
    info.add_text(RECIPE_KEY, first.to_json())
    info.add_text("Description", plan.describe())
    info.add_text(SWEEP_KEY, json.dumps(plan.to_dict(recipes), sort_keys=True))
    image = Image.fromarray(picture)
    return write_atomically(Path(path), lambda temporary: image.save(temporary, format="PNG", pnginfo=info))


def grid_file_name(plan: SweepPlan) -> str:
    return f"sweep-{'-'.join(axis.key for axis in plan.axes)}-{plan.digest()}.png"


def _tiles(images: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Every cell image RGB, upscaled by one factor and padded (centred, white) to one size."""
    if not images:
        return {}
    height = max(image.shape[0] for image in images.values())
    width = max(image.shape[1] for image in images.values())
    factor = default_scale(height, width, CELL_TARGET)
    tiles = {}
    for index, image in images.items():
        rgb = np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image[..., :3]
        big = upscale(rgb, factor)
        tile = np.full((height * factor, width * factor, 3), WHITE, np.uint8)
        top, left = (tile.shape[0] - big.shape[0]) // 2, (tile.shape[1] - big.shape[1]) // 2
        tile[top:top + big.shape[0], left:left + big.shape[1]] = big
        tiles[index] = tile
    return tiles


def _title(plan: SweepPlan, recipe: Recipe) -> str:
    """What every cell shares, A1111 style (`Model: digits, Sampler: DDIM, Steps: 30, Seed: 4`),
    read from a cell's recipe as run: a VAE or GAN names no sampler and no steps."""
    swept = {axis.field for axis in plan.axes}
    if recipe.sampler == NO_SAMPLER:
        swept |= {"sampler", "schedule", "steps", "eta"}
    parts = []
    for row in FIELDS:
        value = getattr(recipe, row.name)
        if row.name in swept or row.a1111_key is None or value is None or (
                not row.a1111_always and value == row.default):
            continue
        text = Path(str(value)).name if row.name == "model" else row.to_text(value)
        parts.append(f"{row.label}: {text}")
    conditioning = recipe.conditioning.describe()
    if "conditioning" not in swept:
        parts.insert(1, conditioning)
    return ", ".join(parts)


def _font_size(tile_w: int, tile_h: int) -> int:
    return max(12, (tile_w + tile_h) // 25)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if features.check("freetype2"):
        return ImageFont.load_default(size=size)
    return ImageFont.load_default()  # Pillow without FreeType: its small bitmap font


def _wrap(text: str, font, width: int) -> str:
    """Text broken at spaces so each line fits `width` pixels (a long word stays whole)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and font.getlength(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)
