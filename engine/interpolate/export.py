"""Writing an interpolation: one animation per format asked for (GIF, WebP, APNG, MP4) and a
contact sheet PNG of every frame (one row per segment), each carrying the interpolation's
document (engine/interpolate/plan.py: the seeds and every frame's recipe).

As for a comparison (engine/compare/export.py): where the file holds named texts the first
frame's recipe also stands alone where every reader looks (PNG `parameters` and
`noisescope_recipe` chunks, WebP's XMP `recipe` attribute), so dropping the file restores it;
a GIF's comment and an MP4's comment tag hold the document itself. Writes are atomic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from PIL import PngImagePlugin

from engine.atomic import write_atomically
from engine.errors import ExportError
from engine.export.formats.animated import pillow_frames
from engine.export.formats.mp4 import encode_mp4
from engine.export.grid import default_scale, make_grid, upscale
from engine.export.png import image_from_array, png_info
from engine.export.xmp import xmp_packet
from engine.interpolate.plan import INTERPOLATION_KEY, InterpolationPlan
from engine.recipe import Recipe

ANIMATIONS = ("gif", "webp", "apng", "mp4")
SHEET = "sheet"
FORMATS = (*ANIMATIONS, SHEET)
SUFFIXES = {"gif": ".gif", "webp": ".webp", "apng": ".apng", "mp4": ".mp4", SHEET: ".png"}

Frames = list[tuple[np.ndarray, int]]  # (frame (H, W, C) uint8, duration in ms)


@dataclass(frozen=True)
class InterpolationExport:
    formats: tuple[str, ...] = ("gif",)
    frame_ms: int = 80
    scale: int | None = None  # integer upscale; None picks a readable size

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown:
            raise ExportError(f"an interpolation is written as {', '.join(FORMATS)}, not {', '.join(map(repr, unknown))}")
        if not self.formats:
            raise ExportError(f"give at least one format: {', '.join(FORMATS)}")
        if not 10 <= self.frame_ms <= 10_000:
            raise ExportError(f"frame duration must be between 10 and 10000 ms, not {self.frame_ms}")
        if self.scale is not None and not 1 <= self.scale <= 64:
            raise ExportError(f"scale must be between 1 and 64, not {self.scale}")


def file_stem(plan: InterpolationPlan) -> str:
    seeds = "-".join(str(seed) for seed in plan.seeds)
    prompts = f"-prompts{len(plan.prompts)}" if plan.prompts else ""
    return f"interpolation-{Path(plan.base.model).name}{prompts}-seeds{seeds}{'-loop' if plan.loop else ''}"


def export_interpolation(plan: InterpolationPlan, images: dict[int, np.ndarray], recipes: dict[int, Recipe],
                         out_dir: Path, options: InterpolationExport = InterpolationExport(),
                         model_hash: str | None = None) -> list[Path]:
    """Write the frames made (images and recipes: frame index -> (H, W, C) uint8 and the recipe
    as run), in frame order; a stopped interpolation writes what it has. ExportError if none."""
    done = [frame.index for frame in plan.frames if frame.index in images]
    if not done:
        raise ExportError("no frame was made, so nothing was written")
    pictures = [images[index] for index in done]
    document = plan.to_json({index: recipes[index] for index in done})
    first = recipes[done[0]]
    stem = file_stem(plan) + ("" if len(done) == len(plan.frames) else f"-first{len(done)}")
    scale = options.scale or default_scale(*pictures[0].shape[:2])
    size = pictures[0].shape[:2]  # A1111's Size: the model's image size, not the upscaled frame's
    frames: Frames = [(upscale(picture, scale), options.frame_ms) for picture in pictures]
    written = []
    for format_id in dict.fromkeys(options.formats):
        name = stem + ("-sheet" if format_id == SHEET else "") + SUFFIXES[format_id]
        if format_id == SHEET:
            columns = plan.frames_between + 1 if len(done) > plan.frames_between + 1 else None
            sheet = upscale(make_grid(np.stack(pictures), columns or len(pictures)), scale)
            encode = partial(_sheet, sheet=sheet, first=first, document=document, model_hash=model_hash, size=size)
        else:
            encode = partial(_ENCODERS[format_id], frames=frames, first=first, document=document,
                             model_hash=model_hash, title=plan.describe(), size=size)
        written.append(write_atomically(out_dir / name, encode))
    return written


def _png_texts(first: Recipe, document: str, size: tuple[int, int], model_hash: str | None) -> PngImagePlugin.PngInfo:
    info = png_info(first, size[0], size[1], model_hash, sample_index=None)
    info.add_text(INTERPOLATION_KEY, document)
    return info


def _sheet(temporary: Path, sheet: np.ndarray, first: Recipe, document: str, model_hash: str | None,
           size: tuple[int, int]) -> None:
    image_from_array(sheet).save(temporary, format="PNG", pnginfo=_png_texts(first, document, size,
                                                                               model_hash))


def _gif(temporary: Path, frames: Frames, first: Recipe, document: str, model_hash, title: str,
         size: tuple[int, int]) -> None:
    image, rest, durations = pillow_frames(frames)
    image.save(temporary, format="GIF", save_all=True, append_images=rest, duration=durations, loop=0,
               comment=document.encode())


def _webp(temporary: Path, frames: Frames, first: Recipe, document: str, model_hash, title: str,
         size: tuple[int, int]) -> None:
    image, rest, durations = pillow_frames(frames)
    image.save(temporary, format="WEBP", save_all=True, append_images=rest, duration=durations, loop=0,
               lossless=True, xmp=xmp_packet(first.to_json(), documents={"interpolation": document}))


def _apng(temporary: Path, frames: Frames, first: Recipe, document: str, model_hash, title: str,
          size: tuple[int, int]) -> None:
    image, rest, durations = pillow_frames(frames)
    image.save(temporary, format="PNG", save_all=True, append_images=rest, duration=durations, loop=0,
               pnginfo=_png_texts(first, document, size, model_hash))


def _mp4(temporary: Path, frames: Frames, first: Recipe, document: str, model_hash, title: str,
         size: tuple[int, int]) -> None:
    encode_mp4(temporary, frames, frames[0][1], {"comment": document, "title": f"Noisescope {title}"})


_ENCODERS = {"gif": _gif, "webp": _webp, "apng": _apng, "mp4": _mp4}
