"""One playhead over several runs: which recorded step of each run is shown at each position.

By noise level (the default): runs line up where their noise levels sigma match, whatever their
step counts or samplers. By fraction: step i of n sits at i / (n - 1) of the run. Either way the
positions are every level some run recorded (levels closer than TOLERANCE are one), and at each
one every run shows its step nearest to that level (in log sigma: noise levels are compared by
ratio). Where a run has two steps at one level (Heun evaluates each level twice) the later one
is shown. A run with one recorded step (a VAE or GAN run) shows it throughout. A last position
shows the final images; a run that did not finish shows its last step there.

NumPy and the standard library only: the window's playhead and the CLI use the same table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.errors import CompareError
from engine.trajectory import Trajectory

ALIGNMENTS = ("sigma", "fraction")
TOLERANCE = 1e-4  # log sigma or fraction: closer levels are one (schedules computed in float32 vs float64)
SMALLEST_SIGMA = 1e-12  # log(0) has no place on the axis
CHUNK = 256  # positions matched at a time: bounded memory for 1000-step runs


@dataclass(frozen=True)
class Position:
    level: float  # sigma (by noise level) or the fraction of the run, 0 to 1 (by fraction)
    steps: tuple[int | None, ...]  # per run: the index into its recorded steps; None: its final image
    final: bool = False


@dataclass(frozen=True)
class Alignment:
    mode: str
    positions: tuple[Position, ...]

    def __len__(self) -> int:
        return len(self.positions)

    def shown(self, position: int, run: int) -> int | None:
        """The recorded step of `run` shown at `position` (None: its final image)."""
        return self.positions[position].steps[run]

    def nearest_position(self, run: int, step: int) -> int:
        """The first position where `run` shows its recorded step `step` (where a click on that
        run's own timeline moves the shared playhead); the nearest before it if none does."""
        best = 0
        for index, position in enumerate(self.positions):
            shown = position.steps[run]
            if shown == step:
                return index
            if shown is not None and shown < step:
                best = index
        return best


def align(trajectories: Sequence[Trajectory], mode: str = "sigma", final: bool = True) -> Alignment:
    """The positions of one playhead over the runs (each with at least one recorded step)."""
    if mode not in ALIGNMENTS:
        raise CompareError(f"runs are aligned by {' or '.join(ALIGNMENTS)}, not {mode!r}")
    if any(not t.steps for t in trajectories):
        raise CompareError("a run with no recorded steps cannot be aligned")
    progress = [_progress(t, mode) for t in trajectories]
    moving = [p for p in progress if len(p) > 1]
    positions: list[Position] = []
    if not moving:  # one-pass runs only: one position, each run's single image
        positions.append(Position(0.0, tuple(0 for _ in trajectories)))
    axis = _merge(np.sort(np.concatenate(moving))) if moving else np.zeros(0)
    columns = [_nearest(p, axis) if len(p) > 1 else np.zeros(len(axis), dtype=np.int64) for p in progress]
    for row, value in enumerate(axis):
        steps = tuple(int(column[row]) for column in columns)
        if positions and positions[-1].steps == steps:
            continue  # no run moves here: one position, not two identical frames
        positions.append(Position(_level(float(value), mode), steps))
    if final and any(t.final is not None for t in trajectories):
        last = tuple(None if t.final is not None else len(t.steps) - 1 for t in trajectories)
        positions.append(Position(0.0 if mode == "sigma" else 1.0, last, final=True))
    return Alignment(mode, tuple(positions))


def describe(trajectory: Trajectory, shown: int | None) -> str:
    """What a pane shows, for its label: `step 7/20, sigma 1.01`, `final` or `one pass`."""
    if shown is None:
        return "final"
    if len(trajectory.steps) == 1 and trajectory.steps[0].sigma == 0:
        return "one pass"
    step = trajectory.steps[shown]
    return f"step {step.index + 1}/{step.total}, sigma {step.sigma:.3g}"


def _progress(trajectory: Trajectory, mode: str) -> np.ndarray:
    """Each recorded step's place on the axis, growing as the run goes on."""
    if mode == "sigma":
        return np.array([-math.log(max(s.sigma, SMALLEST_SIGMA)) for s in trajectory.steps])
    return np.array([s.index / max(s.total - 1, 1) for s in trajectory.steps])


def _merge(values: np.ndarray) -> np.ndarray:
    """Sorted values with those within TOLERANCE of the first of their group dropped."""
    kept = [float(values[0])]
    for value in values[1:]:
        if value - kept[-1] > TOLERANCE:
            kept.append(float(value))
    return np.array(kept)


def _nearest(progress: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """For each axis value, the index of the nearest step; on a tie, the later step."""
    reversed_progress = progress[::-1]
    found = []
    for start in range(0, len(axis), CHUNK):
        distance = np.abs(axis[start:start + CHUNK, None] - reversed_progress[None, :])
        found.append(len(progress) - 1 - np.argmin(distance, axis=1))  # argmin takes the first: the latest step
    return np.concatenate(found)


def _level(value: float, mode: str) -> float:
    return math.exp(-value) if mode == "sigma" else value
