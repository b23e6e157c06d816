"""Reading a run: its noise schedule, how its predicted image converges, and where each pixel settled.

All of it is computed from a Trajectory's recorded previews (uint8, 0-255 levels), NumPy only, so
the window, the CLI and tests share it. Step numbers are 1-based, as the timeline shows them; a
thinned trajectory (every k-th step kept, engine/memory.py) gives the kept steps only.

- schedule: sigma per step, and the signal level 1 / sqrt(1 + sigma^2) (the weight of the
  clean image in x_t, once x_t is scaled to unit variance);
- convergence: the mean absolute distance of each step's predicted x0 to the reference (the
  final image), and the change from one kept step to the next, per step of gap;
- settled map: per pixel, the first step from which its x0 stays within a tolerance of the
  reference (all channels), as numbers and as a colour picture.

The reference is the final image when the previews have its size; otherwise (latent previews
at another size, or a run that did not finish) the last kept step's x0, and `reference` says so.
The work over all steps is done by FinalComparison, a step at a time, so a window can spread it.
A one-pass run (VAE, GAN) has nothing to plot: `one_pass` says so, with ONE_PASS_MESSAGE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.compare.colormap import TABLE
from engine.events import Step
from engine.export.grid import make_grid
from engine.trajectory import Trajectory

DEFAULT_TOLERANCE = 8  # levels of 0-255: a change smaller than this is hard to see
ONE_PASS_MESSAGE = ("A one-pass run (VAE or GAN) makes its image in a single decode: "
                    "it has no noise schedule, convergence or settling to plot.")
FINAL, LAST_STEP = "final image", "last kept step's x0"


def is_one_pass(trajectory: Trajectory) -> bool:
    """VAE and GAN runs record one frame with no noise level (engine/decoder_run.py)."""
    steps = trajectory.steps
    return len(steps) == 1 and steps[0].total == 1 and steps[0].sigma == 0 and steps[0].noise is None


def signal_level(sigma: np.ndarray) -> np.ndarray:
    return 1.0 / np.sqrt(1.0 + np.square(sigma))


@dataclass(frozen=True)
class Schedule:
    step: np.ndarray  # (S,) int, 1-based step numbers of the kept steps
    sigma: np.ndarray  # (S,) float
    signal: np.ndarray  # (S,) float in (0, 1]


def schedule(steps: list[Step]) -> Schedule:
    sigma = np.array([s.sigma for s in steps], dtype=np.float64)
    return Schedule(step_numbers(steps), sigma, signal_level(sigma))


def step_numbers(steps: list[Step]) -> np.ndarray:
    return np.array([s.index + 1 for s in steps], dtype=np.int64)


def abs_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| of uint8 arrays, in uint8 (no wider copies: this runs on previews of 512x512 and more)."""
    return np.maximum(a, b) - np.minimum(a, b)


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(abs_diff(a, b).sum(dtype=np.uint64)) / a.size


def channel_max(image: np.ndarray) -> np.ndarray:
    """(..., C) -> (...): the largest channel, one elementwise pass per channel (faster than .max(-1))."""
    largest = image[..., 0]
    for channel in range(1, image.shape[-1]):
        largest = np.maximum(largest, image[..., channel])
    return largest


class ChangeTracker:
    """The change of x0 from one kept step to the next, mean abs levels per step of gap, kept
    per pair of steps: a live run adds one difference per new step, and thinning (which drops
    steps) only costs the new pairs."""

    def __init__(self) -> None:
        self._pairs: dict[tuple[int, int], float] = {}

    def changes(self, steps: list[Step]) -> np.ndarray:
        """(S,) float; NaN for the first step (nothing before it)."""
        values, pairs = [np.nan], {}
        for before, after in zip(steps, steps[1:]):
            key = (before.index, after.index)
            value = self._pairs.get(key)
            if value is None:
                value = mean_abs(after.x0, before.x0) / max(1, after.index - before.index)
            pairs[key] = value
            values.append(value)
        self._pairs = pairs  # pairs no longer kept are let go
        return np.array(values[:len(steps)], dtype=np.float64)


def reference_of(trajectory: Trajectory) -> tuple[np.ndarray, str]:
    """What x0 is compared with: the final image, if the previews have its shape."""
    last = trajectory.steps[-1].x0
    final = trajectory.final
    if final is not None and final.shape == last.shape:
        return final, FINAL
    return last, LAST_STEP


@dataclass(frozen=True)
class SettledMap:
    step: np.ndarray  # (B, H, W) int: the first (1-based) step from which the pixel stays settled
    first: int  # the first and last kept step numbers: the range of the colours
    last: int
    tolerance: int

    def image(self, scale: int = 1) -> np.ndarray:
        """(H', W', 3) uint8: the samples in a grid, early steps dark, late ones bright (cubehelix)."""
        return colour(self.step, self.first, self.last, scale)


def colour(step: np.ndarray, first: int, last: int, scale: int = 1) -> np.ndarray:
    span = max(1, last - first)
    levels = np.clip((step - first) * (len(TABLE) - 1) // span, 0, len(TABLE) - 1)
    pictures = TABLE[levels]  # (B, H, W, 3)
    if scale > 1:
        pictures = pictures.repeat(scale, axis=1).repeat(scale, axis=2)
    return make_grid(pictures, fill=40)


class FinalComparison:
    """Each kept step's x0 against the reference, from the last step back: the distance to it,
    and, per pixel, the first step of the unbroken run of steps within `tolerance` of it.
    advance() does a few steps at a time; `done` once all are seen."""

    def __init__(self, trajectory: Trajectory, tolerance: int = DEFAULT_TOLERANCE):
        if tolerance < 0:
            raise ValueError(f"tolerance is in levels of 0-255 and must be 0 or more, not {tolerance}")
        self.steps = list(trajectory.steps)  # a copy: a live run may thin its list meanwhile
        if not self.steps:
            raise ValueError("the run has no recorded steps to compare")
        self.reference, self.reference_name = reference_of(trajectory)
        self.tolerance = tolerance
        self.to_final = np.full(len(self.steps), np.nan)
        batch, height, width, _ = self.reference.shape
        self._settled = np.zeros((batch, height, width), dtype=np.int32)  # position into steps
        self._holding = np.ones((batch, height, width), dtype=bool)  # within tolerance ever since
        self._next = len(self.steps) - 1

    @property
    def done(self) -> bool:
        return self._next < 0

    def advance(self, count: int = 1) -> bool:
        for _ in range(count):
            if self.done:
                break
            position = self._next
            distance = abs_diff(self.steps[position].x0, self.reference)
            self.to_final[position] = float(distance.sum(dtype=np.uint64)) / distance.size
            within = channel_max(distance) <= self.tolerance
            # out of tolerance here for the first time (from the end): settled from the next kept step on
            np.putmask(self._settled, self._holding & ~within, position + 1)
            self._holding &= within
            self._next -= 1
        return self.done

    def settled(self) -> SettledMap:
        """The map; pixels out of tolerance at the last kept step count as settled there."""
        numbers = step_numbers(self.steps)
        positions = np.minimum(self._settled, len(self.steps) - 1)
        return SettledMap(numbers[positions], int(numbers[0]), int(numbers[-1]), self.tolerance)


@dataclass(frozen=True)
class Analysis:
    schedule: Schedule
    to_final: np.ndarray  # (S,) float, mean abs levels
    change: np.ndarray  # (S,) float, NaN first
    reference: str  # FINAL or LAST_STEP
    settled: SettledMap


def analyze(trajectory: Trajectory, tolerance: int = DEFAULT_TOLERANCE) -> Analysis:
    """Everything at once (the CLI, tests). Raises ValueError for a run with nothing to plot."""
    if is_one_pass(trajectory):
        raise ValueError(ONE_PASS_MESSAGE)
    comparison = FinalComparison(trajectory, tolerance)
    comparison.advance(len(comparison.steps))
    return Analysis(schedule(comparison.steps), comparison.to_final, ChangeTracker().changes(comparison.steps),
                    comparison.reference_name, comparison.settled())
