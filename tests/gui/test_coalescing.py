"""A fast engine: every step is kept, the screen is repainted at most once per frame."""

from __future__ import annotations

import numpy as np

from gui.run_state import RunState
from gui.view_model import FRAME_INTERVAL_MS, ViewModel


def _events(total: int):
    from engine.events import Finished, Started, Step
    from engine.recipe import Recipe

    recipe = Recipe(model="tiny-diffusion", family="diffusion", steps=total, batch=2)
    frame = np.zeros((2, 8, 8, 1), np.uint8)
    yield Started(recipe, total, (8, 8, 1), "cpu", "float32", "tiny-diffusion")
    for i in range(total):
        yield Step(i, total, float(1000 - i), 1.0, frame + i % 255, frame, frame, i * 1e-4)
    yield Finished(recipe, frame, 0.01)


def test_burst_of_steps_keeps_every_step_and_coalesces_repaints(qtbot, studio):
    import time

    vm: ViewModel = studio.view_model
    repaints, progress = [], []
    vm.view.displayChanged.connect(lambda: repaints.append(vm.playhead.step))
    vm.status.progressChanged.connect(lambda: progress.append(vm.status.progress.step))
    events = list(_events(500))
    vm.begin_run(events[0].recipe)
    started = time.perf_counter()
    for event in events[:-1]:  # one GUI-thread turn, as a drain of a full queue would be
        vm.on_event(event)
    burst_ms = (time.perf_counter() - started) * 1000
    assert len(vm.view.trajectory) == 500  # every step recorded
    assert len(repaints) <= 2 + burst_ms / FRAME_INTERVAL_MS  # not one per step
    qtbot.waitUntil(lambda: bool(repaints) and repaints[-1] == 499, timeout=1_000)  # the newest is shown
    vm.on_event(events[-1])
    vm.end_run()
    assert vm.status.state == RunState.IDLE and vm.view.trajectory.outcome == "finished"
    assert progress[-1] == 500
    assert [s.index for s in vm.view.trajectory.steps] == list(range(500))


def test_real_run_through_the_adapter_keeps_every_step(qtbot, studio):
    from tests.gui.helpers import generate

    vm = studio.view_model
    repaints = []
    vm.view.displayChanged.connect(lambda: repaints.append(vm.playhead.step))
    trajectory = generate(qtbot, studio, model="tiny-diffusion", sampler="ddpm", steps=60, batch=1)
    assert trajectory.outcome == "finished"
    assert [s.index for s in trajectory.steps] == list(range(60))
    assert repaints[-1] == 59
    assert len(repaints) <= 60


def test_a_person_who_grabs_the_timeline_is_not_dragged_along(qtbot, studio):
    vm = studio.view_model
    events = list(_events(50))
    vm.begin_run(events[0].recipe)
    for event in events[:11]:
        vm.on_event(event)
    qtbot.waitUntil(lambda: studio.window.timeline.slider.maximum() == 9, timeout=1_000)
    studio.window.timeline.slider.setValue(3)  # the person grabs it
    assert not vm.playhead.following and vm.playhead.step == 3
    for event in events[11:30]:
        vm.on_event(event)
    qtbot.waitUntil(lambda: studio.window.timeline.slider.maximum() == 28, timeout=1_000)
    assert vm.playhead.step == 3 and studio.window.timeline.slider.value() == 3
    studio.window.timeline.live.click()  # follow again
    assert vm.playhead.following and vm.playhead.step == 28
    vm.on_event(events[-1])
    vm.end_run()
