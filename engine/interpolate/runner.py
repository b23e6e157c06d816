"""Running an interpolation: each frame is one engine.run of its own recipe (batch 1), so its
image is the one `generate` makes with that recipe. The stream carries the engine's events,
tagged with their frame, and FrameDone as each frame is ready (with the frame's trajectory, as a
`generate` of its recipe records it: the history keeps each frame as a run); it stops at the first
run that does not finish, or when `cancel` is set, having yielded every frame done before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.events import Cancelled, Event, Failed, Finished
from engine.interpolate.plan import Frame, InterpolationPlan
from engine.model_cache import ModelCache
from engine.recipe import Recipe
from engine.run import run
from engine.trajectory import Trajectory


@dataclass(frozen=True)
class FrameEvent:
    frame: Frame
    event: Event


@dataclass(frozen=True)
class FrameDone:
    frame: Frame
    image: np.ndarray  # (H, W, C) uint8
    recipe: Recipe  # as run: the model's defaults filled in
    trajectory: Trajectory  # the frame's run, finished (no previews: its steps carry no pictures)


InterpolationEvent = FrameEvent | FrameDone


def run_interpolation(plan: InterpolationPlan, cancel: threading.Event | None = None, *,
                      extra_model_paths: Iterable[Path] = (), cache: ModelCache | None = None
                      ) -> Iterator[InterpolationEvent]:
    """cache: the window's engine worker passes its own, so the model it has loaded is used."""
    paths = list(extra_model_paths)
    for frame in plan.frames:
        final: Finished | None = None
        trajectory = Trajectory()
        # No previews: only the final image of a frame is shown, so the steps' decodes are skipped.
        for event in run(frame.recipe, cancel, cache=cache, extra_model_paths=paths, previews=False):
            trajectory.record(event)
            yield FrameEvent(frame, event)
            if isinstance(event, (Failed, Cancelled)):
                return
            if isinstance(event, Finished):
                final = event
        if final is None or (cancel is not None and cancel.is_set()):
            return
        yield FrameDone(frame, final.images[0], final.recipe, trajectory)
