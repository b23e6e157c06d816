"""Controls that do not apply to a model or sampler are hidden or disabled."""

from __future__ import annotations

from engine.conditioning import ClassLabel, Unconditional
from engine.recipe import Recipe
from engine.recipe_fields import field
from tests.gui.helpers import generate


def visible(panel, widget) -> bool:
    return panel.form.isRowVisible(widget)


def test_controls_follow_the_model_and_sampler(qtbot, studio):
    vm, panel = studio.view_model, studio.window.controls

    vm.form.set_field("model", "tiny-diffusion")
    vm.form.set_field("sampler", "dpmpp_2m")
    vm.form.set_field("label", None)
    assert panel.sampler.isEnabled() and panel.steps.isEnabled()
    assert not visible(panel, panel.eta)  # DPM++ has no eta
    assert visible(panel, panel.label) and panel.label.itemText(0) == "none"
    assert [panel.label.itemText(i) for i in range(1, 11)] == [str(d) for d in range(10)]
    assert visible(panel, panel.guidance) and not panel.guidance.isEnabled()  # CFG needs a label
    assert "class" in panel.guidance_note.text()

    panel.sampler.setCurrentIndex(panel.sampler.findData("ddim"))
    assert vm.form.fields.sampler == "ddim" and visible(panel, panel.eta)
    panel.label.setCurrentIndex(panel.label.findData("7"))
    assert vm.form.fields.label == "7" and panel.guidance.isEnabled()
    assert not visible(panel, panel.guidance_note)

    vm.form.set_field("model", "tiny-uncond")  # no labels, no guidance
    assert not visible(panel, panel.label) and not visible(panel, panel.guidance)
    assert vm.form.fields.label is None

    for model in ("tiny-vae", "tiny-gan"):
        vm.form.set_field("model", model)
        assert not panel.sampler.isEnabled() and not panel.steps.isEnabled()
        assert not visible(panel, panel.eta)
        assert "one step" in panel.sampler.toolTip()
    assert visible(panel, panel.label)  # the GAN is class-conditional
    assert not visible(panel, panel.guidance)


def test_the_recipe_uses_only_what_applies(qtbot, studio):
    vm = studio.view_model
    vm.form.restore_fields({"model": "tiny-diffusion", "sampler": "dpmpp_2m", "eta": 0.5, "guidance": 7.0,
                       "label": None, "steps": 12})
    recipe = vm.form.build_recipe()
    assert recipe.eta == 0.0 and recipe.steps == 12  # eta does not apply to DPM++
    assert recipe.guidance is None and recipe.conditioning == Unconditional()  # CFG needs a class: the model's default
    vm.form.set_field("sampler", "ddim")
    vm.form.set_field("label", "3")
    recipe = vm.form.build_recipe()
    assert recipe.eta == 0.5 and recipe.guidance == 7.0 and recipe.conditioning == ClassLabel("3")
    vm.form.set_field("guidance", None)
    assert vm.form.build_recipe().guidance is None
    vm.form.set_field("model", "tiny-vae")
    recipe = vm.form.build_recipe()
    assert recipe.sampler == "none" and recipe.steps == 1 and recipe.label is None
    assert generate(qtbot, studio).outcome == "finished"


def test_model_caption_shows_family_and_size(studio):
    vm, panel = studio.view_model, studio.window.controls
    vm.form.set_field("model", "tiny-diffusion")
    assert panel.model_caption.text().startswith("diffusion · 8×8 · grayscale · 10 classes · CFG")
    vm.form.set_field("model", "tiny-vae")
    assert panel.model_caption.text().startswith("vae · 8×8")


def test_seed_dice_and_lock(studio):
    vm, panel = studio.view_model, studio.window.controls
    vm.form.set_field("seed", 5)
    panel.dice.click()
    assert vm.form.fields.seed != 5 and panel.seed.text() == str(vm.form.fields.seed)
    panel.lock.click()
    assert vm.form.fields.seed_locked and panel.lock.text() == "Locked"
    panel.seed.setText("42")
    panel.seed.editingFinished.emit()
    assert vm.form.fields.seed == 42


def test_schedule_type_comes_from_the_field_table_and_follows_the_sampler(qtbot, studio):
    vm, panel = studio.view_model, studio.window.controls
    vm.form.restore_fields({"model": "tiny-diffusion", "sampler": "dpmpp_2m", "label": None})
    row = field("schedule")
    assert visible(panel, panel.schedule) and panel.form.labelForField(panel.schedule).text() == row.label
    assert [panel.schedule.itemData(i) for i in range(panel.schedule.count())] == list(row.choices)
    assert [panel.schedule.itemText(i) for i in range(3)] == ["Automatic", "Karras", "Exponential"]
    assert panel.schedule.toolTip() == row.help
    panel.schedule.setCurrentIndex(panel.schedule.findData("karras"))
    assert vm.form.fields.schedule == "karras" and vm.form.build_recipe().schedule == "karras"
    vm.form.set_field("sampler", "ddpm")  # takes no schedule type: hidden, and the recipe uses the default
    assert not visible(panel, panel.schedule) and vm.form.build_recipe().schedule == "default"
    vm.form.set_field("sampler", "euler")  # the choice was kept for the next sampler that takes one
    assert visible(panel, panel.schedule) and panel.schedule.currentData() == "karras"
    vm.form.set_field("model", "tiny-vae")
    assert not visible(panel, panel.schedule) and vm.form.build_recipe().schedule == "default"
    vm.form.set_field("model", "tiny-diffusion")
    trajectory = generate(qtbot, studio, steps=3, seed_locked=True)
    assert trajectory.outcome == "finished" and trajectory.recipe.schedule == "karras"


def test_the_form_is_built_from_the_field_table(studio):
    panel = studio.window.controls
    for name in ("steps", "batch", "eta", "guidance"):
        row, spin = field(name), getattr(panel, name)
        assert panel.form.labelForField(spin).text() == row.label and spin.toolTip() == row.help
    assert (panel.steps.minimum(), panel.steps.maximum()) == (1, field("steps").maximum)
    assert panel.batch.maximum() == 64  # the window's limit, below the engine's
    studio.view_model.form.set_field("label", "3")
    studio.view_model.form.set_field("guidance", None)  # unset: shows the model's default
    assert panel.guidance.text().startswith("default (3)")


def test_a_restored_recipe_fills_every_field_of_the_table(studio):
    form, panel = studio.view_model.form, studio.window.controls
    recipe = Recipe(model="tiny-diffusion", sampler="euler", schedule="karras", steps=9, seed=77, batch=3,
                    guidance=4.5, label="5")
    assert form.use_recipe(recipe) == ""
    f = form.fields
    assert (f.sampler, f.schedule, f.steps, f.seed, f.batch, f.guidance, f.label, f.seed_locked) == (
        "euler", "karras", 9, 77, 3, 4.5, "5", True)
    assert panel.schedule.currentData() == "karras" and panel.guidance.value() == 4.5
    assert form.build_recipe() == recipe.replace(batch=3)
    note = form.use_recipe(recipe.replace(model="not-installed", schedule="default"))
    assert "not installed" in note and f.model == "tiny-diffusion" and f.schedule == "default"


def test_the_variation_seed_draws_its_own_number_and_has_no_lock(qtbot, studio):
    vm, panel = studio.view_model, studio.window.controls
    seed, variation = panel.controls["seed"], panel.controls["variation_seed"]
    vm.form.set_field("seed", 5)
    vm.form.set_field("seed_locked", True)
    for _ in range(3):  # a random draw could repeat a number; three cannot all
        variation.dice.click()
        if vm.form.fields.variation_seed != 0:
            break
    assert vm.form.fields.variation_seed != 0 and vm.form.fields.seed == 5  # the seed itself is untouched
    assert seed.lock.isVisibleTo(panel) and not variation.lock.isVisibleTo(panel)  # only the seed locks
    assert vm.form.fields.seed_locked
