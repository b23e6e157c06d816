"""Errors appear in the window with what to do, and the window stays usable."""

from __future__ import annotations

import pytest

from tests.gui.helpers import generate


def test_corrupt_model_shows_a_message_and_the_window_stays_usable(qtbot, studio):
    vm, window = studio.view_model, studio.window
    vm.status.clear_error()
    window.controls.model.setCurrentIndex(window.controls.model.findData("zz-broken"))
    assert vm.form.fields.model == "zz-broken"
    # the background preload fails first ...
    qtbot.waitUntil(lambda: vm.status.error is not None, timeout=10_000)
    assert window.banner.isVisible()
    assert "zz-broken" in window.banner.message.text() or "safetensors" in window.banner.message.text()
    assert "Pick another model" in window.banner.message.text()
    # ... and Generate on it fails as data, not as a crash
    trajectory = generate(qtbot, studio)
    assert trajectory.outcome == "failed"
    assert vm.status.error[0] == "model_load" and window.banner.isVisible()
    assert window.progress.status.text().startswith("Failed")
    assert "the run failed" in window.viewer.canvases["x_t"].placeholder
    # the window is still usable: another model generates, and the banner goes away
    trajectory = generate(qtbot, studio, model="tiny-vae")
    assert trajectory.outcome == "finished" and vm.status.error is None
    assert not window.banner.isVisible()


def test_dismiss_clears_the_banner(qtbot, studio):
    studio.view_model.status.set_error("out_of_memory", "out of memory on cuda")
    assert studio.window.banner.isVisible()
    assert "Lower the batch size" in studio.window.banner.message.text()
    studio.window.banner.dismiss.click()
    assert not studio.window.banner.isVisible() and studio.view_model.status.error is None


def test_an_error_in_an_async_task_is_reported_not_lost(qtbot, studio):
    async def broken():
        raise RuntimeError("boom")

    studio.controller.tasks.spawn(broken(), name="broken")
    qtbot.waitUntil(lambda: studio.view_model.status.error is not None, timeout=2_000)
    assert studio.view_model.status.error[0] == "internal" and "boom" in studio.view_model.status.error[1]


def test_a_bad_setting_is_explained_and_nothing_runs(qtbot, studio):
    from engine.errors import InvalidRecipe

    vm, window = studio.view_model, studio.window
    vm.form.set_field("model", "tiny-diffusion")

    def refuse():
        raise InvalidRecipe("guidance must be between 0 and 30, not 31")

    vm.form.build_recipe = refuse
    window.controls.generate.click()
    assert vm.status.error is not None and vm.status.error[0] == "invalid_recipe"
    assert "guidance must be between 0 and 30" in window.banner.message.text()
    assert "Change the setting" in window.banner.message.text()
    assert vm.status.state == "idle" and vm.view.trajectory is None
    del vm.form.build_recipe  # the real one again
    trajectory = generate(qtbot, studio, steps=3)
    assert trajectory.outcome == "finished" and vm.status.error is None


def test_out_of_range_settings_are_clamped_not_trusted(studio):
    vm = studio.view_model
    vm.form.restore_fields({"steps": 0, "batch": 10_000, "eta": 3.0, "guidance": -1.0, "seed": -5})
    f = vm.form.fields
    assert (f.steps, f.batch, f.eta, f.guidance, f.seed) == (1, 64, 1.0, 0.0, 0)
    assert studio.window.controls.steps.value() == 1


@pytest.mark.parametrize("controller", ["history", "exports"])
def test_a_failing_history_or_export_task_during_a_run_leaves_the_run_running(qtbot, studio, controller):
    """Each controller has its own TaskKeeper: a history or export task's failure is shown, and the run
    going on is not marked idle (it was, when every task went through the run controller's)."""
    from gui.run_state import RunState

    vm = studio.view_model
    vm.form.restore_fields({"model": "tiny-diffusion", "sampler": "ddpm", "steps": 1000})
    studio.window.controls.generate.click()
    qtbot.waitUntil(lambda: len(vm.view) >= 2, timeout=15_000)
    assert vm.status.state == RunState.RUNNING

    async def broken():
        raise RuntimeError(f"{controller} bug")

    getattr(studio, controller).tasks.spawn(broken(), name=f"broken-{controller}-task")
    qtbot.waitUntil(lambda: vm.status.error is not None, timeout=2_000)
    assert f"{controller} bug" in vm.status.error[1]
    assert vm.status.state == RunState.RUNNING and studio.window.controls.cancel.isEnabled()
    seen = len(vm.view)
    qtbot.waitUntil(lambda: len(vm.view) > seen, timeout=5_000)  # its steps still arrive
    studio.window.controls.cancel.click()
    qtbot.waitUntil(lambda: vm.status.state == RunState.IDLE, timeout=5_000)
    assert vm.view.trajectory.outcome == "cancelled"
