"""MP4 (H.264 through PyAV, whose wheels bring FFmpeg): the recipe JSON in the `comment` tag."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.errors import ExportError
from engine.export.a1111 import RestoredRecipe, restore_from_json
from engine.export.formats.animated import AnimationFormat


class Mp4(AnimationFormat):
    id, label, suffixes = "mp4", "MP4", (".mp4",)

    def encode(self, temporary, frames, trajectory, options, model_hash) -> None:
        write_mp4(temporary, frames, trajectory, options.frame_ms)

    def read_recipe(self, path: Path) -> RestoredRecipe | None:
        import av

        try:
            with av.open(str(path)) as container:
                comment = container.metadata.get("comment")
        except (OSError, av.FFmpegError) as exc:
            raise ExportError(f"cannot read {path}: {exc}") from None
        return restore_from_json(comment) if comment and comment.startswith("{") else None


def write_mp4(temporary: Path, frames, trajectory, frame_ms: int) -> None:
    encode_mp4(temporary, frames, frame_ms, {
        "comment": trajectory.recipe.to_json(), "title": f"{trajectory.model_name or trajectory.recipe.model} denoising"})


def encode_mp4(temporary: Path, frames, frame_ms: int, metadata: dict[str, str]) -> None:
    """The frames as H.264, with these container tags (a comparison writes its own: engine/compare)."""
    import av

    height, width = frames[0][0].shape[:2]
    even_height, even_width = height + height % 2, width + width % 2  # yuv420p needs even sizes
    with av.open(str(temporary), mode="w", format="mp4") as container:
        container.metadata.update(metadata)
        stream = container.add_stream("libx264", rate=Fraction(1000, frame_ms))
        stream.width, stream.height, stream.pix_fmt = even_width, even_height, "yuv420p"
        stream.options = {"crf": "16"}
        for frame, duration in frames:
            rgb = np.zeros((even_height, even_width, 3), dtype=np.uint8)
            rgb[:height, :width] = frame  # broadcasts one channel to three
            video_frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for _ in range(max(1, round(duration / frame_ms))):
                container.mux(stream.encode(video_frame))
        container.mux(stream.encode())
