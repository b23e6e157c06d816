"""The last recipe and the window layout come back at the next start."""

from __future__ import annotations


def test_settings_restored(qtbot, make_studio, settings):
    first = make_studio(settings)
    vm = first.view_model
    vm.form.restore_fields({"model": "tiny-diffusion", "sampler": "ddim", "steps": 17, "seed": 99,
                       "seed_locked": True, "batch": 9, "eta": 0.3, "label": "4", "guidance": 5.5})
    first.window.controls_dock.hide()
    first.history.dock.hide()  # with both docks hidden the window fits the 800-px offscreen screen
    first.window.layout().activate()  # its minimum size without them
    first.window.resize(790, 520)
    first.window.close()
    assert not first.adapter.worker_alive

    second = make_studio(settings)
    f = second.view_model.form.fields
    assert (f.model, f.sampler, f.steps, f.seed, f.seed_locked, f.batch, f.eta, f.label, f.guidance) == (
        "tiny-diffusion", "ddim", 17, 99, True, 9, 0.3, "4", 5.5)
    assert second.window.controls.steps.value() == 17 and second.window.controls.label.currentData() == "4"
    assert (second.window.width(), second.window.height()) == (790, 520)
    assert second.window.controls_dock.isHidden() and second.history.dock.isHidden()


def test_a_saved_model_that_is_gone_falls_back_to_the_default(make_studio, settings):
    settings.setValue("recipe/fields", '{"model": "deleted-model", "steps": 5, "batch": "junk"}')
    studio = make_studio(settings)
    f = studio.view_model.form.fields
    assert f.model == "tiny-diffusion" and f.steps == 5 and f.batch == 4


def test_garbage_settings_are_ignored(make_studio, settings):
    settings.setValue("recipe/fields", "not json")
    settings.setValue("window/geometry", "nonsense")
    studio = make_studio(settings)
    assert studio.view_model.form.fields.steps == 30


def test_settings_saved_by_the_previous_release_load(make_studio, settings):
    # exactly what the release before recipe v2 wrote: no schedule, guidance a number
    settings.setValue("recipe/fields", '{"model": "tiny-diffusion", "sampler": "euler", "steps": 12, "seed": 5, '
                      '"seed_locked": true, "batch": 2, "guidance": 3.0, "eta": 0.0, "label": "7"}')
    studio = make_studio(settings)
    f = studio.view_model.form.fields
    assert (f.sampler, f.steps, f.seed, f.seed_locked, f.batch, f.guidance, f.label) == (
        "euler", 12, 5, True, 2, 3.0, "7")
    assert f.schedule == "default"  # not saved then: the table's default
    assert studio.view_model.form.build_recipe().label == "7"


def test_schedule_and_unset_guidance_survive_a_restart(qtbot, make_studio, settings):
    first = make_studio(settings)
    first.view_model.form.restore_fields({"model": "tiny-diffusion", "sampler": "dpmpp_2m", "schedule": "exponential",
                                          "guidance": None, "label": "2"})
    qtbot.waitUntil(lambda: first.view_model.status.loaded_model == "tiny-diffusion", timeout=10_000)
    first.window.close()  # not mid-load: a model load cannot be interrupted
    second = make_studio(settings)
    f = second.view_model.form.fields
    assert (f.schedule, f.guidance, f.label) == ("exponential", None, "2")
    assert second.window.controls.schedule.currentData() == "exponential"
