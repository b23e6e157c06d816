"""A guided run's three more panes (conditional and unconditional noise, guidance x their difference)
show under x_t / x0 / noise, only when the run has them; a live run shows them from its first step."""

from __future__ import annotations

import numpy as np

from engine.events import Finished, Started, Step
from engine.recipe import Recipe
from engine.trajectory import GUIDED_VIEWS, Trajectory
from gui.image_viewer import ViewerPanel
from gui.qimage import to_qimage
from gui.trajectory_view import Playhead, TrajectoryView

SIDE = 8


def frame(value: int) -> np.ndarray:
    return np.full((1, SIDE, SIDE, 1), value, np.uint8)


def run(guided: bool, steps: int = 3, recorded: int | None = None) -> Trajectory:
    recipe = Recipe(model="tiny-diffusion", family="diffusion", steps=steps, label="3" if guided else None,
                    guidance=4.0 if guided else None)
    trajectory = Trajectory()
    trajectory.record(Started(recipe, steps, (SIDE, SIDE, 1), "cpu", "float32", "tiny-diffusion"))
    for i in range(steps if recorded is None else recorded):
        views = dict(zip(GUIDED_VIEWS, (frame(100 + i), frame(150 + i), frame(200 + i)))) if guided else {}
        trajectory.record(Step(i, steps, 999.0 - i, 1.0, frame(i), frame(10 + i), frame(20 + i), 0.0, **views))
    if recorded is None:
        trajectory.record(Finished(recipe, frame(9), 0.1))
    return trajectory


def shown(panel: ViewerPanel) -> set[str]:
    return {name for name, pane in panel.panes.items() if pane.isVisible()}


def test_guided_panes_appear_for_a_guided_run_only(qtbot):
    playhead = Playhead()
    view = TrajectoryView(playhead)
    panel = ViewerPanel(view)
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    view.set_trajectory(run(guided=False))
    assert shown(panel) == {"x_t", "x0", "noise"}
    assert not panel.guidance_button.isVisible()

    view.set_trajectory(run(guided=True))
    playhead.reset(1, following=False)
    assert panel.guidance_button.isVisible() and not panel.guidance_button.isChecked()
    assert shown(panel) == {"x_t", "x0", "noise"}  # off until asked: they would halve the images
    panel.guidance_button.click()  # one click shows all three
    assert shown(panel) == {"x_t", "x0", "noise", *GUIDED_VIEWS}
    for name, value in zip(GUIDED_VIEWS, (101, 151, 201)):
        assert panel.canvases[name].image == to_qimage(frame(value)[0])  # this step's frame in its pane
    # the second row sits under the first, the panes as wide as the ones above
    assert panel.panes["noise_cond"].y() > panel.panes["x_t"].y()
    assert abs(panel.canvases["noise_guidance"].width() - panel.canvases["noise"].width()) <= 2
    panel.guided_actions["noise_uncond"].trigger()  # each can be switched off from the button's menu
    assert shown(panel) == {"x_t", "x0", "noise", "noise_cond", "noise_guidance"}
    panel.guided_actions["noise_uncond"].trigger()
    panel.guidance_button.click()  # and all three off again
    assert shown(panel) == {"x_t", "x0", "noise"} and not panel.guidance_button.isChecked()
    panel.guidance_button.click()

    view.set_trajectory(run(guided=False))  # back to an unguided run: gone again
    assert shown(panel) == {"x_t", "x0", "noise"}


def test_a_live_guided_run_shows_its_panes_with_its_first_step(qtbot):
    playhead = Playhead()
    view = TrajectoryView(playhead)
    panel = ViewerPanel(view)
    qtbot.addWidget(panel)
    panel.show()
    view.set_view_visible("noise_cond", True)
    view.set_view_visible("noise_uncond", True)
    view.set_view_visible("noise_guidance", True)
    live = run(guided=True, recorded=0)
    view.set_trajectory(live)
    assert shown(panel) == {"x_t", "x0", "noise"}  # nothing recorded yet: nothing to say about guidance
    live.record(run(guided=True, steps=1).steps[0])
    view.stepsChanged.emit(len(live))
    assert shown(panel) == {"x_t", "x0", "noise", *GUIDED_VIEWS}
