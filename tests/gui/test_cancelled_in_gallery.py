"""A cancelled run shows as cancelled in the gallery, with the steps it ran and how long (issue 12)."""

from __future__ import annotations

from gui.run_state import RunState


def test_a_cancelled_run_says_so_with_its_steps_and_duration(qtbot, studio):
    vm = studio.view_model
    qtbot.waitUntil(lambda: studio.history.gallery is not None, timeout=10_000)
    gallery = studio.history.gallery
    for name, value in (("model", "tiny-diffusion"), ("sampler", "ddpm"), ("steps", 1000), ("batch", 1)):
        vm.form.set_field(name, value)
    with qtbot.waitSignal(studio.history.recorded, timeout=15_000):
        studio.window.controls.generate.click()
        qtbot.waitUntil(lambda: len(vm.view) >= 3, timeout=15_000)
        studio.window.controls.cancel.click()
        qtbot.waitUntil(lambda: vm.status.state == RunState.IDLE, timeout=15_000)
    ran = vm.view.trajectory.steps[-1].index + 1  # steps run (previews past a budget may be thinned)
    assert 3 <= ran < 1000
    run = gallery.model.run_at(0)
    assert run.outcome == "cancelled"
    assert run.duration_s > 0 and abs(run.duration_s - vm.view.trajectory.steps[-1].elapsed_s) < 1e-6
    text = gallery.model.data(gallery.model.index(0))
    assert "cancelled" in text and f"cancelled at step {ran}," in text and f"{run.duration_s:.1f} s" in text


def test_a_finished_run_does_not_say_cancelled(qtbot, studio):
    from tests.gui.helpers import generate

    qtbot.waitUntil(lambda: studio.history.gallery is not None, timeout=10_000)
    gallery = studio.history.gallery
    with qtbot.waitSignal(studio.history.recorded, timeout=15_000):
        generate(qtbot, studio, model="tiny-diffusion", steps=2, batch=1, sampler="ddim")
    assert "cancelled" not in gallery.model.data(gallery.model.index(0))
