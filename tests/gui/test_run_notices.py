"""The run's notices (previews thinned past the memory budget) are in the window's status bar:
for a run going on, as soon as its previews are thinned, and for a run opened later."""

from __future__ import annotations

import numpy as np

from engine import Recipe
from engine.events import Started, Step
from engine.trajectory import Trajectory
from gui.main_window import MainWindow
from gui.run_state import RunState
from gui.view_model import ViewModel


def window_and_vm(qtbot):
    vm = ViewModel()
    vm.status.set_state(RunState.IDLE)
    window = MainWindow(vm)
    qtbot.addWidget(window)
    window.show()
    return window, vm


def step(index: int, total: int) -> Step:
    frame = np.zeros((1, 8, 8, 1), np.uint8)  # 64 bytes a view
    return Step(index, total, 999.0 - index, 1.0, frame, frame, frame, 0.01 * index)


def test_a_live_run_that_thins_its_previews_says_so(qtbot):
    window, vm = window_and_vm(qtbot)
    assert not window.notices.isVisible()
    recipe = Recipe(model="tiny", steps=12)
    vm.view.set_trajectory(Trajectory(recipe=recipe, preview_budget=5 * 3 * 64))  # room for 5 steps' previews
    vm.status.set_state(RunState.RUNNING)
    vm.on_event(Started(recipe, 12, (8, 8, 1), "cpu", "float32", "tiny"))
    for index in range(4):
        vm.on_event(step(index, 12))
    qtbot.wait(40)  # past the frame coalescing
    assert not window.notices.isVisible() and vm.view.trajectory.notices == []
    for index in range(4, 12):
        vm.on_event(step(index, 12))
    qtbot.waitUntil(lambda: window.notices.isVisible(), timeout=2_000)
    assert vm.view.trajectory.notices and "every 4th step are kept" in window.notices.text()
    assert "preview budget" in window.notices.toolTip()


def test_an_opened_run_shows_its_notices_and_the_next_run_clears_them(qtbot):
    window, vm = window_and_vm(qtbot)
    thinned = Trajectory(recipe=Recipe(model="tiny", steps=2), steps=[step(0, 2), step(1, 2)],
                         notices=["previews of every 2th step are kept"])
    assert vm.show_trajectory(thinned, "dropped file")
    assert window.notices.isVisible() and window.notices.text() == "Note: previews of every 2th step are kept"
    vm.begin_run(Recipe(model="tiny", steps=2))
    assert not window.notices.isVisible() and window.notices.text() == ""
