"""Trajectory: every step of a run, kept compactly for scrubbing, comparing and exporting.

It holds the uint8 previews the events already carry (no copies), so recording costs only the
list append; the GUI, exports and history all read the same object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.events import Cancelled, Event, Finished, Started, Step
from engine.kinds import Outcome
from engine.recipe import Recipe

VIEWS = ("x_t", "x0", "noise")


@dataclass
class Trajectory:
    recipe: Recipe | None = None
    total_steps: int = 0
    model_name: str = ""
    device: str = ""
    steps: list[Step] = field(default_factory=list)
    final: np.ndarray | None = None  # (B, H, W, C) uint8 once finished
    outcome: Outcome = Outcome.RUNNING
    duration_s: float = 0.0

    def __post_init__(self) -> None:
        self.outcome = Outcome(self.outcome)  # a file or a caller may hand the plain word

    def record(self, event: Event) -> None:
        if isinstance(event, Started):
            self.recipe, self.total_steps = event.recipe, event.total_steps
            self.model_name, self.device = event.model_name, event.device
        elif isinstance(event, Step):
            self.steps.append(event)
        elif isinstance(event, Finished):
            self.final, self.outcome, self.duration_s = event.images, Outcome.FINISHED, event.duration_s
        elif isinstance(event, Cancelled):
            self.outcome = Outcome.CANCELLED
        else:
            self.outcome = Outcome.FAILED

    def __len__(self) -> int:
        return len(self.steps)

    def frame(self, step: int, view: str = "x_t") -> np.ndarray | None:
        """(B, H, W, C) uint8 for one recorded step and view; None where a view does not exist
        (VAE and GAN have no predicted noise)."""
        if view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
        return getattr(self.steps[step], view)

    @property
    def batch(self) -> int:
        return self.recipe.batch if self.recipe else 0
