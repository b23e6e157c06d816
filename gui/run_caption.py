"""One line over the viewer that says which run it shows: model, sampler, steps, seed, and where
the run came from ("from history #12", "dropped file"); a run of this window says nothing more."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from engine.kinds import Family
from engine.samplers.registry import NO_SAMPLER, SAMPLERS
from engine.trajectory import Trajectory
from gui.run_state import RunStatus
from gui.trajectory_view import TrajectoryView

SEPARATOR = "  ·  "


def describe_run(trajectory: Trajectory | None, source: str = "") -> str:
    return next(iter(descriptions(trajectory, source)), "")


def descriptions(trajectory: Trajectory | None, source: str = "") -> list[str]:
    """The run's description, longest first: then without the batch, then without the model too
    (a narrow window shows the longest that fits, never a seed cut in half)."""
    recipe = trajectory.recipe if trajectory is not None else None
    if recipe is None:
        return []
    model = trajectory.model_name or recipe.model
    parts: list[str] = []
    one_pass = recipe.sampler == NO_SAMPLER or (recipe.family is not None and recipe.family != Family.DIFFUSION)
    if one_pass:
        parts.append("one decode")
    else:
        spec = SAMPLERS.get(recipe.sampler)
        parts += [spec.display_name if spec else recipe.sampler, f"{recipe.steps} steps"]
    parts.append(f"seed {recipe.seed}")
    tail = [source] if source else []
    batch = [f"batch {recipe.batch}"]
    seed = parts[-1:]
    variants = ([model, *parts, *batch, *tail], [model, *parts, *tail], [*parts, *tail], [*seed, *tail], [*seed])
    return [SEPARATOR.join(p) for p in variants]


class RunCaption(QLabel):
    def __init__(self, view: TrajectoryView, status: RunStatus, parent: QWidget | None = None):
        super().__init__(parent, objectName="runCaption")
        self.view = view
        self.setMinimumWidth(1)  # a long caption is cut, never widens the window
        view.trajectoryReset.connect(self.refresh)  # bound methods: let go when the label is deleted
        status.stateChanged.connect(self.refresh)  # Started gives the run's resolved recipe
        self.refresh()

    def refresh(self, *_) -> None:
        texts = descriptions(self.view.trajectory, self.view.source) or [""]
        room, metrics = self.width() - 4, self.fontMetrics()
        self.setText(next((t for t in texts if metrics.horizontalAdvance(t) <= room), texts[-1]))
        self.setToolTip(texts[0])

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.refresh()
