"""The last recipe and the window layout come back at the next start."""

from __future__ import annotations


def test_settings_restored(qtbot, make_studio, settings):
    first = make_studio(settings)
    vm = first.view_model
    vm.restore_fields({"model": "tiny-diffusion", "sampler": "ddim", "steps": 17, "seed": 99,
                       "seed_locked": True, "batch": 9, "eta": 0.3, "label": "4", "guidance": 5.5})
    first.window.controls_dock.hide()
    first.history.dock.hide()  # with both docks hidden the window fits the 800-px offscreen screen
    first.window.layout().activate()  # its minimum size without them
    first.window.resize(790, 520)
    first.window.close()
    assert not first.adapter.worker_alive

    second = make_studio(settings)
    f = second.view_model.fields
    assert (f.model, f.sampler, f.steps, f.seed, f.seed_locked, f.batch, f.eta, f.label, f.guidance) == (
        "tiny-diffusion", "ddim", 17, 99, True, 9, 0.3, "4", 5.5)
    assert second.window.controls.steps.value() == 17 and second.window.controls.label.currentData() == "4"
    assert (second.window.width(), second.window.height()) == (790, 520)
    assert second.window.controls_dock.isHidden() and second.history.dock.isHidden()


def test_a_saved_model_that_is_gone_falls_back_to_the_default(make_studio, settings):
    settings.setValue("recipe/fields", '{"model": "deleted-model", "steps": 5, "batch": "junk"}')
    studio = make_studio(settings)
    f = studio.view_model.fields
    assert f.model == "tiny-diffusion" and f.steps == 5 and f.batch == 4


def test_garbage_settings_are_ignored(make_studio, settings):
    settings.setValue("recipe/fields", "not json")
    settings.setValue("window/geometry", "nonsense")
    studio = make_studio(settings)
    assert studio.view_model.fields.steps == 30
