"""The denoising as an animation: GIF, APNG and WebP through Pillow, MP4 through PyAV.

One frame per recorded step (the view chosen: the noisy sample x_t, the model's guess of the
clean image x0, or both side by side), then the final images held for a while. A sample is
shown alone, or the whole batch as a grid. Tiny images are enlarged by an integer
nearest-neighbour factor so the pixels stay crisp. Every format carries the recipe: PNG text
chunks (APNG), the comment extension (GIF), XMP (WebP), the `comment` tag (MP4).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from engine.atomic import write_atomically
from engine.errors import ExportError
from engine.export.grid import PADDING, default_scale, make_grid, upscale
from engine.export.png import image_from_array, png_info
from engine.trajectory import Trajectory

FORMATS = ("gif", "apng", "webp", "mp4")
VIEWS = ("x_t", "x0", "both")
SUFFIXES = {"gif": ".gif", "apng": ".apng", "webp": ".webp", "mp4": ".mp4"}
XMP_NAMESPACE = "urn:noisescope:1"


@dataclass(frozen=True)
class AnimationOptions:
    view: str = "x_t"
    frame_ms: int = 100  # how long each step shows
    hold_ms: int = 1500  # extra time on the last frame
    scale: int | None = None  # integer upscale; None picks a readable size
    sample: int | None = None  # one sample, or None for the batch as a grid

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ExportError(f"animation view must be one of {', '.join(VIEWS)}, not {self.view!r}")
        if not 10 <= self.frame_ms <= 10_000:
            raise ExportError(f"frame duration must be between 10 and 10000 ms, not {self.frame_ms}")
        if not 0 <= self.hold_ms <= 60_000:
            raise ExportError(f"hold must be between 0 and 60000 ms, not {self.hold_ms}")
        if self.scale is not None and not 1 <= self.scale <= 64:
            raise ExportError(f"scale must be between 1 and 64, not {self.scale}")

    def check(self, trajectory: Trajectory) -> None:
        if self.sample is not None and not 0 <= self.sample < trajectory.batch:
            raise ExportError(f"sample must be between 0 and {trajectory.batch - 1}, not {self.sample}")
        if not trajectory.steps:
            raise ExportError("nothing to animate: the run recorded no steps")


def animation_frames(trajectory: Trajectory, options: AnimationOptions) -> list[tuple[np.ndarray, int]]:
    """(frame (H, W, C) uint8, duration in ms) pairs, upscaled; a frame equal to the one before
    it is merged into it (every format would merge it anyway), so counts are predictable."""
    options.check(trajectory)
    pictures = [_picture(step.x_t, step.x0, options) for step in trajectory.steps]
    if trajectory.final is not None:
        pictures.append(_picture(trajectory.final, trajectory.final, options))
    scale = options.scale or default_scale(*pictures[0].shape[:2])
    frames: list[tuple[np.ndarray, int]] = []
    for picture in pictures:
        if frames and np.array_equal(frames[-1][0], picture):
            frames[-1] = (frames[-1][0], frames[-1][1] + options.frame_ms)
        else:
            frames.append((picture, options.frame_ms))
    frames[-1] = (frames[-1][0], frames[-1][1] + options.hold_ms)
    return [(upscale(frame, scale), duration) for frame, duration in frames]


def save_animation(trajectory: Trajectory, path: Path, options: AnimationOptions = AnimationOptions(),
                   model_hash: str | None = None, format: str | None = None) -> Path:
    """Write the animation; the format comes from `format` or the file suffix."""
    path = Path(path)
    format = format or path.suffix.lower().lstrip(".")
    if format not in FORMATS:
        raise ExportError(f"animation format must be one of {', '.join(FORMATS)}, not {format!r}")
    frames = animation_frames(trajectory, options)
    writer = {"gif": _write_gif, "apng": _write_apng, "webp": _write_webp, "mp4": _write_mp4}[format]
    return write_atomically(path, lambda temporary: writer(temporary, frames, trajectory, model_hash, options))


def _picture(x_t: np.ndarray, x0: np.ndarray, options: AnimationOptions) -> np.ndarray:
    def one(batch: np.ndarray) -> np.ndarray:
        return batch[options.sample] if options.sample is not None else make_grid(batch)

    if options.view == "x_t":
        return one(x_t)
    if options.view == "x0":
        return one(x0)
    left, right = one(x_t), one(x0)
    gap = np.zeros((left.shape[0], PADDING * 2, left.shape[2]), dtype=np.uint8)
    return np.concatenate([left, gap, right], axis=1)


def _pillow_frames(frames):
    images = [image_from_array(frame) for frame, _ in frames]
    return images[0], images[1:], [duration for _, duration in frames]


def _write_gif(temporary: Path, frames, trajectory: Trajectory, model_hash, options) -> None:
    first, rest, durations = _pillow_frames(frames)
    first.save(temporary, format="GIF", save_all=True, append_images=rest, duration=durations, loop=0,
               comment=trajectory.recipe.to_json().encode())


def _write_apng(temporary: Path, frames, trajectory: Trajectory, model_hash, options) -> None:
    first, rest, durations = _pillow_frames(frames)
    height, width = trajectory.steps[0].x_t.shape[1:3]
    info = png_info(trajectory.recipe, height, width, model_hash, sample_index=options.sample)
    first.save(temporary, format="PNG", save_all=True, append_images=rest, duration=durations, loop=0,
               pnginfo=info)


def xmp_packet(recipe_json: str) -> bytes:
    """A minimal XMP packet with the recipe JSON as one attribute."""
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:noisescope="{XMP_NAMESPACE}" noisescope:recipe={quoteattr(recipe_json)}/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def _write_webp(temporary: Path, frames, trajectory: Trajectory, model_hash, options) -> None:
    first, rest, durations = _pillow_frames(frames)
    first.save(temporary, format="WEBP", save_all=True, append_images=rest, duration=durations, loop=0,
               lossless=True, xmp=xmp_packet(trajectory.recipe.to_json()))


def _write_mp4(temporary: Path, frames, trajectory: Trajectory, model_hash, options) -> None:
    import av  # PyAV: its wheels bring their own FFmpeg (libx264 included)

    height, width = frames[0][0].shape[:2]
    even_height, even_width = height + height % 2, width + width % 2  # yuv420p needs even sizes
    with av.open(str(temporary), mode="w", format="mp4") as container:
        container.metadata["comment"] = trajectory.recipe.to_json()
        container.metadata["title"] = f"{trajectory.model_name or trajectory.recipe.model} denoising"
        stream = container.add_stream("libx264", rate=Fraction(1000, options.frame_ms))
        stream.width, stream.height, stream.pix_fmt = even_width, even_height, "yuv420p"
        stream.options = {"crf": "16"}
        for frame, duration in frames:
            rgb = np.zeros((even_height, even_width, 3), dtype=np.uint8)
            rgb[:height, :width] = frame  # broadcasts one channel to three
            video_frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for _ in range(max(1, round(duration / options.frame_ms))):
                container.mux(stream.encode(video_frame))
        container.mux(stream.encode())
