"""What the comparison shows at one playhead position: each run's image and each pair's difference.

The window's panes and every export read this one function, so they always agree. Core:
NumPy only.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.compare.alignment import Alignment, describe
from engine.compare.difference import Difference, compare_images
from engine.compare.options import CompareOptions
from engine.compare.runs import LETTERS, is_one_pass
from engine.samplers.registry import SAMPLERS
from engine.trajectory import Trajectory


@dataclass(frozen=True)
class PairView:
    first: int  # run indexes, first < second
    second: int
    heat: np.ndarray  # (H, W, 3) uint8: |A - B| through the colormap
    difference: Difference

    @property
    def name(self) -> str:
        return f"|{LETTERS[self.first]}-{LETTERS[self.second]}|"


@dataclass(frozen=True)
class PositionView:
    images: tuple[np.ndarray, ...]  # per run, (H, W, C) uint8
    labels: tuple[str, ...]  # per run: which step is shown (alignment.describe)
    pairs: tuple[PairView, ...]  # every pair, in order (A,B), (A,C), ... (C,D)


def pairs(count: int) -> list[tuple[int, int]]:
    return list(itertools.combinations(range(count), 2))


def shown_image(trajectory: Trajectory, shown: int | None, view: str, sample: int) -> np.ndarray:
    """(H, W, C) uint8: one sample of a recorded step's view, or of the final images (None)."""
    if shown is None:
        assert trajectory.final is not None
        return trajectory.final[sample]
    frame = trajectory.frame(shown, view)
    assert frame is not None  # x_t and x0 exist for every family
    return frame[sample]


def position_view(trajectories: Sequence[Trajectory], alignment: Alignment, position: int,
                  options: CompareOptions | None = None) -> PositionView:
    options = options or CompareOptions()
    steps = alignment.positions[position].steps
    images = tuple(shown_image(t, shown, options.view, options.sample)
                   for t, shown in zip(trajectories, steps, strict=True))
    labels = tuple(describe(t, shown) for t, shown in zip(trajectories, steps, strict=True))
    views = tuple(PairView(a, b, *compare_images(images[a], images[b], options.heat_scale))
                  for a, b in pairs(len(images)))
    return PositionView(images, labels, views)


def run_caption(trajectory: Trajectory) -> str:
    """`DDIM, 20 steps` (a one-pass run: its family): what tells the panes apart at a glance."""
    recipe = trajectory.recipe
    if recipe is None:
        return "?"
    if is_one_pass(trajectory) or recipe.sampler not in SAMPLERS:
        return str(recipe.family.value if recipe.family else recipe.sampler)
    return f"{SAMPLERS[recipe.sampler].display_name}, {recipe.steps} steps"
