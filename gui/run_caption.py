"""One line over the viewer that says which run it shows: model, sampler, steps, seed, and where
the run came from ("from history #12", "dropped file"); a run of this window says nothing more.
A branch says what it continues: "branch of run #12 at step 5" once the history has named the
parent (gui/branch_action.py asks it), else the parent's recipe ("branch at step 5 of a DPM++ 2M
run"). Steps are counted from 1 here, as the timeline shows them (a recipe's from_step is 0-based)."""

from __future__ import annotations

import weakref

from PySide6.QtWidgets import QLabel, QWidget

from engine.kinds import Family
from engine.samplers.registry import NO_SAMPLER, SAMPLERS
from engine.trajectory import Trajectory
from gui.run_state import RunStatus
from gui.trajectory_view import TrajectoryView

SEPARATOR = "  ·  "


def describe_run(trajectory: Trajectory | None, source: str = "", parent_id: int | None = None) -> str:
    return next(iter(descriptions(trajectory, source, parent_id)), "")


def branch_text(recipe, parent_id: int | None = None) -> str:
    """"branch of run #12 at step 5" (the parent recorded), else from the parent's recipe; "" for a plain run."""
    branch = getattr(recipe, "branch", None)
    if branch is None:
        return ""
    step = branch.from_step + 1  # as the timeline counts
    if parent_id is not None:
        return f"branch of run #{parent_id} at step {step}"
    spec = SAMPLERS.get(branch.parent.sampler)
    return f"branch at step {step} of a {spec.display_name if spec else branch.parent.sampler} run"


def descriptions(trajectory: Trajectory | None, source: str = "", parent_id: int | None = None) -> list[str]:
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
    plane = getattr(recipe, "seed_plane", None)  # a point between four seeds (the Latent map's seed plane)
    parts.append(f"seed {recipe.seed}" if plane is None else f"seeds {recipe.seed}, {plane.describe()}")
    tail = [text for text in (branch_text(recipe, parent_id), source) if text]
    batch = [f"batch {recipe.batch}"]
    seed = parts[-1:]
    variants = ([model, *parts, *batch, *tail], [model, *parts, *tail], [*parts, *tail], [*seed, *tail], [*seed])
    return [SEPARATOR.join(p) for p in variants]


class RunCaption(QLabel):
    def __init__(self, view: TrajectoryView, status: RunStatus, parent: QWidget | None = None):
        super().__init__(parent, objectName="runCaption")
        self.view = view
        self._parent: tuple[weakref.ref, int] | None = None  # a branch on screen (not kept alive) and its parent's id
        self.setMinimumWidth(1)  # a long caption is cut, never widens the window
        view.trajectoryReset.connect(self.refresh)  # bound methods: let go when the label is deleted
        status.stateChanged.connect(self.refresh)  # Started gives the run's resolved recipe
        self.refresh()

    def set_parent_run(self, trajectory: Trajectory, run_id: int | None) -> None:
        """The history's id of the run this branch continues (None: not recorded)."""
        self._parent = (weakref.ref(trajectory), run_id) if run_id is not None else None
        self.refresh()

    def refresh(self, *_) -> None:
        trajectory = self.view.trajectory
        parent = self._parent[1] if self._parent is not None and self._parent[0]() is trajectory else None
        texts = descriptions(trajectory, self.view.source, parent) or [""]
        room, metrics = self.width() - 4, self.fontMetrics()
        self.setText(next((t for t in texts if metrics.horizontalAdvance(t) <= room), texts[-1]))
        self.setToolTip(texts[0])

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.refresh()
