"""The Plots dock: it follows the playhead, grows while a run streams, fills in when the run
ends, moves the playhead on a click, and says so for a one-pass (VAE) run."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from engine.events import Finished, Started, Step
from engine.recipe import Recipe
from engine.run_analysis import ONE_PASS_MESSAGE
from engine.trajectory import Trajectory
from gui.run_plots import RunPlots
from gui.view_model import ViewModel
from tests.gui.helpers import generate

SIGMAS = (8.0, 4.0, 2.0, 1.0, 0.5)


def points(curve) -> int:
    xs = curve.getData()[0]
    return 0 if xs is None else len(xs)


def feed_steps(vm: ViewModel, start: int, stop: int, total: int = 5) -> None:
    for i in range(start, stop):
        frame = np.full((1, 4, 4, 1), 40 * i, np.uint8)
        vm.on_event(Step(i, total, float(900 - 100 * i), SIGMAS[i], frame, frame, frame, 0.01 * i))


def test_curves_grow_while_a_run_streams_and_complete_when_it_ends(qtbot):
    vm = ViewModel()
    plots = RunPlots(vm.view, vm.playhead, vm.status)
    qtbot.addWidget(plots)
    plots.resize(320, 600)
    plots.show()
    recipe = Recipe(model="tiny-diffusion", family="diffusion", steps=5, batch=1)
    vm.begin_run(recipe)
    vm.on_event(Started(recipe, 5, (4, 4, 1), "cpu", "float32", "tiny-diffusion"))
    feed_steps(vm, 0, 3)
    qtbot.waitUntil(lambda: points(plots.sigma_curve) == 3, timeout=2000)
    assert list(plots.change_curve.getData()[1]) == [40, 40]  # one level step of 40 per step
    assert points(plots.to_final_curve) == 0  # needs the final image
    assert plots.step_lines[0].value() == 3  # following the newest step
    feed_steps(vm, 3, 5)
    vm.on_event(Finished(recipe, np.full((1, 4, 4, 1), 160, np.uint8), 0.1))
    vm.end_run()
    qtbot.waitUntil(lambda: plots.settled is not None, timeout=2000)
    assert list(plots.to_final_curve.getData()[1]) == [160, 120, 80, 40, 0]
    assert plots.settled.step.tolist() == [[[5] * 4] * 4]  # 40 levels apart: settled at the last step
    vm.playhead.set_step(1)
    assert [line.value() for line in plots.step_lines] == [2, 2]
    assert "Settled by step 2: 0%" in plots.map_plot.titleLabel.text


def test_dock_is_hidden_at_first_follows_the_playhead_and_a_click_moves_it(qtbot, studio):
    window, vm = studio.window, studio.view_model
    plots = studio.plots
    assert not plots.dock.isVisible() and plots.dock.toggleViewAction() in window.view_menu.actions()
    generate(qtbot, studio, model="tiny-diffusion", sampler="ddim", steps=3, batch=1)
    assert plots.comparison is None and plots.graphics is None  # nothing made or computed while hidden
    plots.dock.toggleViewAction().trigger()
    assert plots.dock.isVisible()
    trajectory = generate(qtbot, studio, model="tiny-diffusion", sampler="ddim", steps=6, batch=1)
    qtbot.waitUntil(lambda: plots.settled is not None, timeout=5000)
    assert len(plots.sigma_curve.getData()[0]) == len(trajectory.steps) == 6
    distances = plots.to_final_curve.getData()[1]
    assert distances[-1] < distances[0]  # x0 nears the final image
    vm.playhead.set_step(2)
    assert plots.step_lines[1].value() == 3
    # a click on the convergence plot at step 5 moves the playhead to it
    plot = plots.convergence_plot
    qtbot.wait(50)  # the dock laid out
    box = plot.vb.sceneBoundingRect()
    scene_point = QPointF(plot.vb.mapViewToScene(QPointF(5, 0)).x(), box.center().y())
    assert box.contains(scene_point)
    qtbot.mouseClick(plots.graphics.viewport(), Qt.MouseButton.LeftButton, pos=plots.graphics.mapFromScene(scene_point))
    qtbot.waitUntil(lambda: vm.playhead.step == 4, timeout=2000)
    # a click on a pixel of the settled map moves it to the step that pixel settled at
    settled = plots.settled.step[0]
    y, x = np.argwhere(settled != 5)[0]  # a pixel that did not settle at the step shown now
    assert plots.settled_at(int(x), int(y)) == settled[y, x] and plots.settled_at(-1, 0) is None
    pixel = plots.map_image.mapToScene(QPointF(x + 0.5, y + 0.5))
    qtbot.mouseClick(plots.graphics.viewport(), Qt.MouseButton.LeftButton, pos=plots.graphics.mapFromScene(pixel))
    qtbot.waitUntil(lambda: vm.playhead.step == settled[y, x] - 1, timeout=2000)


def test_a_vae_run_says_it_is_one_pass(qtbot, studio):
    plots = studio.plots
    plots.dock.show()
    generate(qtbot, studio, model="tiny-vae", batch=1)
    qtbot.waitUntil(lambda: plots.message.text() == ONE_PASS_MESSAGE, timeout=2000)
    assert plots.message.text() == ONE_PASS_MESSAGE and not plots.graphics.isVisible()


def test_map_pixels_are_found_in_the_grid_of_samples(qtbot):
    vm = ViewModel()
    plots = RunPlots(vm.view, vm.playhead, vm.status)
    qtbot.addWidget(plots)
    plots.show()
    recipe = Recipe(model="tiny-diffusion", family="diffusion", steps=2, batch=3)
    trajectory = Trajectory(recipe=recipe, total_steps=2)
    final = np.zeros((3, 4, 4, 1), np.uint8)
    first = final.copy()
    first[2, 1, 1] = 200  # only sample 3, pixel (1, 1), changes after step 1
    for i, x0 in enumerate((first, final)):
        trajectory.record(Step(i, 2, 1.0, 1.0 - i / 2, x0, x0, x0, 0.0))
    trajectory.record(Finished(recipe, final, 0.1))
    assert vm.show_trajectory(trajectory)
    qtbot.waitUntil(lambda: plots.settled is not None, timeout=2000)
    # 2 columns of 4 + 2 px gap: sample 3 starts at (0, 6)
    assert plots.settled_at(1, 7) == 2 and plots.settled_at(0, 6) == 1 and plots.settled_at(1, 1) == 1
    assert plots.settled_at(4, 1) is None and plots.settled_at(7, 7) is None  # a gap; no fourth sample
