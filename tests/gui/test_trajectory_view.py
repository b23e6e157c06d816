"""What is being viewed: TrajectoryViews sharing one Playhead move through their steps together."""

from __future__ import annotations

import numpy as np

from engine.events import Finished, Started, Step
from engine.recipe import Recipe
from engine.trajectory import Trajectory
from gui.trajectory_view import Playhead, TrajectoryView


def recorded(steps: int, batch: int = 1, offset: int = 0) -> Trajectory:
    recipe = Recipe(model="tiny-diffusion", family="diffusion", steps=steps, batch=batch)
    trajectory = Trajectory()
    trajectory.record(Started(recipe, steps, (4, 4, 1), "cpu", "float32", "tiny-diffusion"))
    for i in range(steps):
        frame = np.full((batch, 4, 4, 1), offset + i, np.uint8)
        trajectory.record(Step(i, steps, float(1000 - i), 1.0, frame, frame, frame, 0.0))
    trajectory.record(Finished(recipe, np.zeros((batch, 4, 4, 1), np.uint8), 0.1))
    return trajectory


def test_two_views_share_one_playhead_each_clamped_to_its_run(qapp):
    playhead = Playhead()
    left, right = TrajectoryView(playhead), TrajectoryView(playhead)
    repaints = {"left": 0, "right": 0}
    left.displayChanged.connect(lambda: repaints.__setitem__("left", repaints["left"] + 1))
    right.displayChanged.connect(lambda: repaints.__setitem__("right", repaints["right"] + 1))
    counts = []
    playhead.countChanged.connect(counts.append)
    left.set_trajectory(recorded(5))
    right.set_trajectory(recorded(3, offset=100))
    assert playhead.step_count() == 5 and counts == [5]  # the longer run sets the range
    playhead.set_step(4)
    assert left.frame("x_t")[0, 0, 0, 0] == 4
    assert right.frame("x_t")[0, 0, 0, 0] == 102 and right.step_index() == 2  # its last step
    assert repaints == {"left": 1, "right": 1}  # one move repaints every view on the playhead
    playhead.set_step(1)
    assert (left.step_index(), right.step_index()) == (1, 1)
    playhead.detach(left)
    assert playhead.step_count() == 3 and playhead.views == [right]


def test_following_the_newest_step_only_while_live(qapp):
    playhead = Playhead()
    view = TrajectoryView(playhead)
    view.set_trajectory(recorded(6))
    playhead.live = True
    playhead.set_step(2)  # grabbing the timeline stops following
    assert not playhead.following
    playhead.set_step(5)  # back at the newest step: follows again
    assert playhead.following
    playhead.live = False
    playhead.set_step(5)
    playhead.set_step(4)
    assert not playhead.following
    playhead.set_following(True)  # "Live": jumps to the newest
    assert playhead.step == 5


def test_focus_outside_a_new_batch_is_cleared(qapp):
    view = TrajectoryView(Playhead())
    view.set_trajectory(recorded(2, batch=4))
    view.set_focus(3)
    view.set_trajectory(recorded(2, batch=2))
    assert view.focus is None
