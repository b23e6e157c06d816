"""Generate, watch, cancel, scrub, quit: through the real window and a real worker thread."""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, Qt

from gui.run_state import RunState
from tests.gui.helpers import EventLog, generate, run_finished


def test_generate_frames_arrive_in_order_and_run_finishes(qtbot, studio):
    vm, window = studio.view_model, studio.window
    log = EventLog(vm)
    ended = []
    vm.runEnded.connect(ended.append)
    trajectory = generate(qtbot, studio, model="tiny-diffusion", steps=6, batch=4, sampler="ddim")
    assert ended == [trajectory] and trajectory.final.shape == (4, 8, 8, 1)
    assert trajectory.outcome == "finished", vm.status.error
    assert log.kinds == ["Started"] + ["Step"] * 6 + ["Finished"]
    assert [s.index for s in trajectory.steps] == list(range(6))
    assert vm.playhead.step == 5  # followed the newest step
    canvas = window.viewer.canvases["x_t"]
    assert canvas.image is not None and canvas.layout_info.count == 4
    grid = canvas.layout_info  # the columns that show the batch largest in the pane (1, 2 or 4 across)
    assert grid.cols * grid.rows >= 4 and (canvas.image.width(), canvas.image.height()) == (grid.width, grid.height)
    assert window.progress.bar.value() == 6
    zooms = {c.zoom_factor() for n, c in window.viewer.canvases.items() if window.viewer.panes[n].isVisible()}
    assert len(zooms) == 1 and zooms.pop() >= 1  # the three panes are drawn at one zoom
    assert window.progress.status.text() == "Done: 6 steps"
    assert window.controls.generate.isEnabled() and not window.controls.cancel.isEnabled()


def test_unlocked_seed_changes_each_generate_locked_keeps_it(qtbot, studio):
    vm = studio.view_model
    generate(qtbot, studio, model="tiny-vae", seed_locked=False)
    first = vm.view.trajectory.recipe.seed
    generate(qtbot, studio)
    assert vm.view.trajectory.recipe.seed != first
    generate(qtbot, studio, seed_locked=True, seed=1234)
    generate(qtbot, studio)
    assert vm.view.trajectory.recipe.seed == 1234


def test_cancel_mid_run(qtbot, studio):
    vm = studio.view_model
    vm.form.set_field("model", "tiny-diffusion")
    vm.form.set_field("sampler", "ddpm")
    vm.form.set_field("steps", 1000)
    studio.window.controls.generate.click()
    qtbot.waitUntil(lambda: len(vm.view) >= 2, timeout=15_000)
    assert vm.status.state == RunState.RUNNING and studio.window.controls.cancel.isEnabled()
    studio.window.controls.cancel.click()
    assert vm.status.state in (RunState.CANCELLING, RunState.IDLE)
    qtbot.waitUntil(lambda: run_finished(vm), timeout=5_000)
    assert vm.view.trajectory.outcome == "cancelled"
    assert 2 <= len(vm.view) < 1000
    assert studio.window.progress.status.text().startswith("Cancelled after")
    # the window is ready for the next run
    assert generate(qtbot, studio, steps=3).outcome == "finished"


def test_scrub_after_run(qtbot, studio):
    vm, timeline = studio.view_model, studio.window.timeline
    generate(qtbot, studio, model="tiny-diffusion", steps=8, sampler="euler", batch=1)
    assert timeline.slider.maximum() == 7 and timeline.slider.isEnabled()
    timeline.slider.setValue(2)
    assert vm.playhead.step == 2
    assert timeline.info.text().startswith("Step 3 / 8")
    shown = studio.window.viewer.canvases["x0"].image
    expected = vm.view.trajectory.steps[2].x0[0]
    assert shown.pixelColor(3, 4).red() == expected[4, 3, 0]
    timeline.step_by(-1)
    assert vm.playhead.step == 1 and timeline.slider.value() == 1
    timeline.step_by(-5)
    assert vm.playhead.step == 0  # clamped
    timeline.step_by(1)
    assert vm.playhead.step == 1
    # play runs to the end and stops there
    timeline.toggle_play()
    qtbot.waitUntil(lambda: not timeline.play.isChecked(), timeout=5_000)
    assert vm.playhead.step == 7


def test_focus_a_sample_and_back_to_the_grid(qtbot, studio):
    vm, viewer = studio.view_model, studio.window.viewer
    generate(qtbot, studio, model="tiny-vae", batch=4)
    canvas = viewer.canvases["x0"]
    rect = canvas.image_rect()
    # the bottom-right sample of the 2x2 grid
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(int(rect.right()) - 3, int(rect.bottom()) - 3))
    assert vm.view.focus == 3
    assert canvas.image.width() == 8 and canvas.layout_info.count == 1
    assert all(c.image.width() == 8 for v, c in viewer.canvases.items() if c.image is not None)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.rect().center())
    assert vm.view.focus is None and canvas.layout_info.count == 4


def test_vae_and_gan_have_one_step_and_no_noise_view(qtbot, studio):
    vm, window = studio.view_model, studio.window
    for model in ("tiny-vae", "tiny-gan"):
        trajectory = generate(qtbot, studio, model=model, batch=2)
        assert trajectory.outcome == "finished", vm.status.error
        assert len(trajectory) == 1 and trajectory.recipe.steps == 1
        viewer = window.viewer
        assert viewer.canvases["x0"].image is not None and viewer.titles["x0"].text() == "Decoded sample"
        assert not viewer.panes["x_t"].isVisible() and not viewer.panes["noise"].isVisible()
        assert not viewer.toggles["noise"].isEnabled()
        assert window.timeline.info.text() == "Step 1 / 1   one-pass decode"


def test_quit_mid_run_stops_the_worker_promptly(qtbot, make_studio):
    studio = make_studio()
    vm = studio.view_model
    vm.form.set_field("model", "tiny-diffusion")
    vm.form.set_field("sampler", "ddpm")
    vm.form.set_field("steps", 1000)
    studio.window.controls.generate.click()
    qtbot.waitUntil(lambda: len(vm.view) >= 1, timeout=15_000)
    started = time.perf_counter()
    studio.window.close()
    assert time.perf_counter() - started < 2.0
    assert not studio.adapter.worker_alive
    qtbot.waitUntil(lambda: studio.controller.tasks.pending == 0, timeout=2_000)


def test_generate_while_running_restarts_with_the_new_recipe(qtbot, studio):
    vm = studio.view_model
    vm.form.set_field("model", "tiny-diffusion")
    vm.form.set_field("sampler", "ddpm")
    vm.form.set_field("steps", 1000)
    studio.window.controls.generate.click()
    qtbot.waitUntil(lambda: len(vm.view) >= 1, timeout=15_000)
    vm.form.set_field("steps", 4)
    studio.window.controls.generate.click()
    qtbot.waitUntil(lambda: run_finished(vm) and vm.view.trajectory.recipe.steps == 4, timeout=10_000)
    assert vm.view.trajectory.outcome == "finished" and len(vm.view.trajectory) == 4
    assert vm.status.state == RunState.IDLE


def test_keyboard_generate_cancel_and_step(qtbot, studio):
    vm, window = studio.view_model, studio.window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2_000)
    vm.form.restore_fields({"model": "tiny-diffusion", "sampler": "ddpm", "steps": 1000})
    window.viewer.setFocus()
    qtbot.keyClick(window.viewer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(vm.view) >= 2, timeout=15_000)
    qtbot.keyClick(window.viewer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: run_finished(vm), timeout=5_000)
    assert vm.view.trajectory.outcome == "cancelled"
    last = len(vm.view) - 1
    assert vm.playhead.step == last
    qtbot.keyClick(window.viewer, Qt.Key.Key_Left)
    assert vm.playhead.step == last - 1
    qtbot.keyClick(window.viewer, Qt.Key.Key_Right)
    assert vm.playhead.step == last
    qtbot.keyClick(window.viewer, Qt.Key.Key_Space)
    assert window.timeline.play.isChecked()
    qtbot.keyClick(window.viewer, Qt.Key.Key_Space)
    assert not window.timeline.play.isChecked()


def test_an_exception_in_an_event_handler_is_shown_and_the_run_still_ends(qtbot, studio):
    vm = studio.view_model
    original = vm.on_event

    def flaky(event):
        if type(event).__name__ == "Step" and event.index == 1:
            raise RuntimeError("handler bug")
        original(event)

    vm.on_event = flaky
    trajectory = generate(qtbot, studio, model="tiny-diffusion", steps=4)
    assert trajectory.outcome == "finished"
    assert vm.status.error is not None and "handler bug" in vm.status.error[1]


def test_window_is_usable_before_the_engine_is_ready(qtbot, event_loop_qt, settings):
    from gui.app import build_studio
    from gui.run_state import RunState

    studio = build_studio(settings)
    qtbot.addWidget(studio.window)
    studio.window.show()
    vm, window = studio.view_model, studio.window
    assert vm.status.state == RunState.STARTING
    assert window.progress.status.text() == "Starting the engine…"
    assert window.progress.bar.maximum() == 0  # busy indicator
    assert not window.controls.generate.isEnabled()
    window.controls.generate.click()  # nothing to do yet, and no crash
    studio.start()
    qtbot.waitUntil(lambda: vm.status.loaded_model is not None, timeout=30_000)
    assert vm.status.state == RunState.IDLE and window.controls.generate.isEnabled()
    assert window.model_status.text().endswith("ready on cpu")
    assert studio.close()


def test_zoom_and_pan_are_shared_and_integer(qtbot, studio):
    window = studio.window
    generate(qtbot, studio, model="tiny-diffusion", steps=2, batch=1)
    viewer = window.viewer
    canvases = [c for name, c in viewer.canvases.items() if viewer.panes[name].isVisible()]  # not the guided run's
    fit = canvases[0].zoom_factor()
    assert fit == int(fit) and fit >= 1
    viewer.zoom_by(1)
    assert viewer.transform.zoom == 2 * int(fit)
    assert {c.zoom_factor() for c in canvases} == {2 * fit}
    assert viewer.zoom_label.text() == f"{2 * int(fit)}×"
    canvas = canvases[1]
    before = canvas.image_rect()
    start = canvas.rect().center()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, start + QPoint(30, 10))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=start + QPoint(30, 10))
    moved = canvas.image_rect()
    assert (moved.x() - before.x(), moved.y() - before.y()) == (30, 10)
    assert studio.view_model.view.focus is None  # a drag is not a click
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=start)
    assert viewer.transform.zoom is None and viewer.zoom_label.text() == "fit"


def test_torch_work_happens_on_the_engine_thread_only(qtbot, studio, monkeypatch):
    import sys
    import threading

    import engine.model_cache

    run_module = sys.modules["engine.run"]  # `engine.run` is the function: the package re-exports it
    threads = []
    real_run, real_get = run_module.run, engine.model_cache.ModelCache.get

    def spy_run(*args, **kwargs):
        threads.append(("run", threading.current_thread().name))
        yield from real_run(*args, **kwargs)

    def spy_get(self, *args, **kwargs):
        threads.append(("load", threading.current_thread().name))
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(run_module, "run", spy_run)
    monkeypatch.setattr(engine.model_cache.ModelCache, "get", spy_get)
    studio.view_model.form.set_field("model", "tiny-gan")  # a preload
    qtbot.waitUntil(lambda: studio.view_model.status.loaded_model == "tiny-gan", timeout=10_000)
    generate(qtbot, studio)
    assert ("load", "noisescope-engine") in threads and ("run", "noisescope-engine") in threads
    assert {name for _, name in threads} == {"noisescope-engine"}
