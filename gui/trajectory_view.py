"""What is being looked at: a TrajectoryView (one trajectory, which of its views are shown, which
sample is focused) and a Playhead (the step being looked at, and whether it follows the newest).

One Playhead may be shared by several TrajectoryViews: two to four runs side by side move
through their steps together (step-locked comparison). Each view clamps the playhead's step to
its own length, so a shorter run shows its last step while a longer one goes on. The timeline
binds to the playhead, a viewer to its view. No widgets, no torch.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Signal

from engine.trajectory import GUIDED_VIEWS, VIEWS, Trajectory


class Playhead(QObject):
    stepChanged = Signal(int)
    followingChanged = Signal(bool)
    countChanged = Signal(int)  # the longest attached trajectory's step count

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.step = 0
        self.following = True
        self.live = False  # a run is recording steps: going to the newest step follows it again
        self.views: list[TrajectoryView] = []
        self._count = 0

    def attach(self, view: TrajectoryView) -> None:
        """Called by a TrajectoryView made with this playhead."""
        self.views.append(view)
        view.stepsChanged.connect(self._recount)
        view.trajectoryReset.connect(self._recount)
        view.destroyed.connect(lambda *_: self._detach(view))

    def detach(self, view: TrajectoryView) -> None:
        self._detach(view)
        for signal in (view.stepsChanged, view.trajectoryReset):
            signal.disconnect(self._recount)

    def step_count(self) -> int:
        return self._count

    def set_step(self, step: int, by_person: bool = True) -> None:
        count = self.step_count()
        if count == 0:
            return
        step = max(0, min(step, count - 1))
        if by_person:
            # grabbing the timeline stops following; going back to the newest step resumes it
            self.set_following(step == count - 1 and self.live)
        if step != self.step:
            self.step = step
            self.stepChanged.emit(step)

    def set_following(self, following: bool) -> None:
        if following != self.following:
            self.following = following
            self.followingChanged.emit(following)
            if following and self.step_count():
                self.set_step(self.step_count() - 1, by_person=False)

    def reset(self, step: int = 0, following: bool = True) -> None:
        """A new run or an opened one (its view is set already): start over at `step`."""
        self._recount()
        self.set_following(following)
        if step != self.step:
            self.step = step
            self.stepChanged.emit(step)

    def _recount(self, *_) -> None:
        count = max((len(v) for v in self.views), default=0)
        if count != self._count:
            self._count = count
            self.countChanged.emit(count)

    def _detach(self, view: TrajectoryView) -> None:
        if view in self.views:
            self.views.remove(view)
            with contextlib.suppress(RuntimeError):  # the playhead went with it (the window closing)
                self._recount()


class TrajectoryView(QObject):
    trajectoryReset = Signal()  # another trajectory (a new run, an opened one)
    stepsChanged = Signal(int)  # number of recorded steps (coalesced during a run)
    viewsChanged = Signal()
    focusChanged = Signal(object)  # int | None
    displayChanged = Signal()  # repaint (coalesced during a run)

    def __init__(self, playhead: Playhead, parent: QObject | None = None):
        super().__init__(parent)
        self.playhead = playhead
        self.trajectory: Trajectory | None = None
        self.source = ""  # where a run on screen came from ("from history #12", "dropped file"); "" = this window's
        self.views = {view: view not in GUIDED_VIEWS for view in VIEWS}  # guided views: when asked
        self.focus: int | None = None
        playhead.attach(self)
        playhead.stepChanged.connect(self._step_moved)  # a bound method: let go when the view is deleted

    def __len__(self) -> int:
        return len(self.trajectory) if self.trajectory is not None else 0

    def _step_moved(self, *_) -> None:
        self.displayChanged.emit()

    @property
    def recipe(self):
        return self.trajectory.recipe if self.trajectory is not None else None

    def set_trajectory(self, trajectory: Trajectory | None, source: str = "") -> None:
        self.trajectory, self.source = trajectory, source
        if self.focus is not None and (trajectory is None or self.focus >= trajectory.batch):
            self.set_focus(None)  # the focused sample is not in this batch
        self.trajectoryReset.emit()
        self.stepsChanged.emit(len(self))

    def step_index(self) -> int:
        """The playhead's step, clamped to this trajectory (a shorter run shows its last step)."""
        return max(0, min(self.playhead.step, len(self) - 1))

    def frame(self, view: str):
        """(B, H, W, C) uint8 of the playhead's step and this view, or None."""
        if not len(self):
            return None
        return self.trajectory.frame(self.step_index(), view)

    def current_step_event(self):
        return self.trajectory.steps[self.step_index()] if len(self) else None

    def set_view_visible(self, view: str, visible: bool) -> None:
        if self.views[view] != visible:
            self.views[view] = visible
            self.viewsChanged.emit()
            self.displayChanged.emit()

    def set_focus(self, index: int | None) -> None:
        if index != self.focus:
            self.focus = index
            self.focusChanged.emit(index)
            self.displayChanged.emit()
