"""What the comparison window shows at one playhead position, made off the GUI thread and kept.

`render` runs on the comparison's worker thread: each run's image at the position (as a QImage,
which may be made off the GUI thread), its caption, and the chosen pair's |A - B| heat map and
numbers, all through engine.compare (the same functions the CLI and every export use), so the
window's number is the exported one. A 512x512 pair takes ~27 ms: never on the GUI thread.
`FrameCache` keeps recent frames within a byte budget, so scrubbing back and forth is instant.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtGui import QImage

from engine.compare.alignment import Alignment, describe
from engine.compare.difference import Difference, compare_images
from engine.compare.panes import shown_image
from engine.trajectory import Trajectory
from gui.qimage import to_qimage

CACHE_BYTES = 96 * 1024 * 1024  # ~12 positions of a 4-way 512x512 comparison; hundreds of digits ones


@dataclass(frozen=True)
class FrameKey:
    align: str  # "sigma" or "fraction": the alignment the position indexes
    position: int
    view: str  # "x0" or "x_t"
    sample: int
    pair: tuple[int, int]  # the runs whose difference is shown


@dataclass(frozen=True)
class Frame:
    key: FrameKey
    images: tuple[QImage, ...]  # per run
    labels: tuple[str, ...]  # per run: "step 7/20, sigma 1.01", "final", "one pass"
    heat: QImage  # |A - B| of the pair, through the engine's colormap
    difference: Difference
    nbytes: int


def render(trajectories: Sequence[Trajectory], alignment: Alignment, key: FrameKey) -> Frame:
    """Any thread: one position's frame (engine.compare.panes.position_view, for one pair)."""
    steps = alignment.positions[key.position].steps
    arrays = [shown_image(t, shown, key.view, key.sample) for t, shown in zip(trajectories, steps, strict=True)]
    labels = tuple(describe(t, shown) for t, shown in zip(trajectories, steps, strict=True))
    first, second = key.pair
    heat, difference = compare_images(arrays[first], arrays[second])
    images = tuple(to_qimage(array) for array in arrays)
    nbytes = sum(image.sizeInBytes() for image in images) + heat.nbytes
    return Frame(key, images, labels, to_qimage(heat), difference, nbytes)


class FrameCache:
    """The most recently shown frames, the oldest dropped past `budget` bytes. GUI thread only."""

    def __init__(self, budget: int = CACHE_BYTES):
        self.budget = budget
        self._frames: OrderedDict[FrameKey, Frame] = OrderedDict()
        self._bytes = 0

    def get(self, key: FrameKey) -> Frame | None:
        frame = self._frames.get(key)
        if frame is not None:
            self._frames.move_to_end(key)
        return frame

    def put(self, frame: Frame) -> None:
        if frame.key in self._frames:
            return
        self._frames[frame.key] = frame
        self._bytes += frame.nbytes
        while self._bytes > self.budget and len(self._frames) > 1:
            _, dropped = self._frames.popitem(last=False)
            self._bytes -= dropped.nbytes

    def __len__(self) -> int:
        return len(self._frames)
