"""Trajectory: every step of a run, kept compactly for scrubbing, comparing and exporting.

It holds the uint8 previews the events already carry (no copies), so recording costs only the
list append; the GUI, exports and history all read the same object. Latent models' steps also
carry their x0 latents (fp16, 32 KB a sample per step at 512x512), to decode any step later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.events import Cancelled, Event, Finished, Started, Step
from engine.kinds import Outcome
from engine.memory import DEFAULT_PREVIEW_BUDGET, format_bytes
from engine.recipe import Recipe

GUIDED_VIEWS = ("noise_cond", "noise_uncond", "noise_guidance")  # guided runs only (Step.guided)
_THINNED = "previews of every"  # the budget's notice, replaced as it grows; others stay
VIEWS = ("x_t", "x0", "noise", *GUIDED_VIEWS)


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
    # Bytes of step previews kept (engine/memory.py); past it only every keep_every-th step stays (and the
    # latest), and `notices` says so. The final images and the lifecycle are never dropped. None: keep all.
    preview_budget: int | None = DEFAULT_PREVIEW_BUDGET
    keep_every: int = 1
    notices: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.outcome = Outcome(self.outcome)  # a file or a caller may hand the plain word
        self._kept_bytes = sum(_step_bytes(s) for s in self.steps)

    def record(self, event: Event) -> None:
        if isinstance(event, Started):
            self.recipe, self.total_steps = event.recipe, event.total_steps
            self.model_name, self.device = event.model_name, event.device
            self.notices.extend(event.notices)
        elif isinstance(event, Step):
            self._keep(event)
        elif isinstance(event, Finished):
            self.final, self.outcome, self.duration_s = event.images, Outcome.FINISHED, event.duration_s
        elif isinstance(event, Cancelled):
            self.outcome = Outcome.CANCELLED
        else:
            self.outcome = Outcome.FAILED

    def _keep(self, step: Step) -> None:
        latest = self.steps[-1] if self.steps else None
        if latest is not None and self.keep_every > 1 and latest.index % self.keep_every:
            self.steps.pop()  # off the every-k-th grid: kept only while it was the latest step
            self._kept_bytes -= _step_bytes(latest)
        self.steps.append(step)
        self._kept_bytes += _step_bytes(step)
        while self.preview_budget is not None and self._kept_bytes > self.preview_budget and len(self.steps) > 2:
            self.keep_every *= 2
            last = self.steps[-1]
            self.steps = [s for s in self.steps if s.index % self.keep_every == 0 or s is last]
            self._kept_bytes = sum(_step_bytes(s) for s in self.steps)
            others = [n for n in self.notices if not n.startswith(_THINNED)]
            self.notices[:] = others + [f"previews of every {self.keep_every}th step are kept: every step's would take "
                                        f"more than the preview budget of {format_bytes(self.preview_budget)}"]

    def __len__(self) -> int:
        return len(self.steps)

    def frame(self, step: int, view: str = "x_t") -> np.ndarray | None:
        """(B, H, W, C) uint8 for one recorded step and view; None where a view does not exist
        (VAE and GAN have no predicted noise; unguided runs have no GUIDED_VIEWS)."""
        if view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
        return getattr(self.steps[step], view)

    def latents(self, step: int) -> np.ndarray | None:
        """(B, 4, h, w) float16 x0 latents of a recorded step of a latent model (None for pixel
        models and older recordings): what engine.latent_previews.decode_step decodes again."""
        return self.steps[step].latents

    @property
    def has_latents(self) -> bool:
        """Whether every recorded step can be decoded at full quality later."""
        return bool(self.steps) and all(s.latents is not None for s in self.steps)

    @property
    def guided(self) -> bool:
        """Whether the run recorded its guidance views (conditional, unconditional, scaled difference)."""
        return bool(self.steps) and (self.steps[0].guided or self.steps[-1].guided)  # a branch may turn it on or off

    @property
    def batch(self) -> int:
        return self.recipe.batch if self.recipe else 0


def _step_bytes(step: Step) -> int:
    arrays = (step.x_t, step.x0, step.noise, step.latents, step.noise_cond, step.noise_uncond, step.noise_guidance)
    return sum(array.nbytes for array in arrays if array is not None)
