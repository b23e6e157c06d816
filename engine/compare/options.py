"""How a comparison is shown and exported: the view, the sample, the timing and the sizes."""

from __future__ import annotations

from dataclasses import dataclass

from engine.compare.alignment import ALIGNMENTS
from engine.compare.difference import FULL_SCALE
from engine.errors import CompareError

VIEWS = ("x0", "x_t")  # the predicted clean image (where runs differ most plainly) or the noisy sample


@dataclass(frozen=True)
class CompareOptions:
    align: str = "sigma"
    view: str = "x0"
    sample: int = 0  # one sample of each run's batch
    frame_ms: int = 150  # how long each playhead position shows
    hold_ms: int = 2000  # extra time on the final images
    scale: int | None = None  # integer upscale of the images; None picks a readable size
    heat_scale: float = FULL_SCALE  # the difference shown as white, in 0-255 levels

    def __post_init__(self) -> None:
        if self.align not in ALIGNMENTS:
            raise CompareError(f"runs are aligned by {' or '.join(ALIGNMENTS)}, not {self.align!r}")
        if self.view not in VIEWS:
            raise CompareError(f"the compared view must be {' or '.join(VIEWS)}, not {self.view!r}")
        if self.sample < 0:
            raise CompareError(f"sample must be 0 or more, not {self.sample}")
        if not 10 <= self.frame_ms <= 10_000:
            raise CompareError(f"frame duration must be between 10 and 10000 ms, not {self.frame_ms}")
        if not 0 <= self.hold_ms <= 60_000:
            raise CompareError(f"hold must be between 0 and 60000 ms, not {self.hold_ms}")
        if self.scale is not None and not 1 <= self.scale <= 64:
            raise CompareError(f"scale must be between 1 and 64, not {self.scale}")
        if not 0 < self.heat_scale <= FULL_SCALE:
            raise CompareError(f"the heat map's scale must be above 0 and at most {FULL_SCALE} levels, "
                               f"not {self.heat_scale:g}")
