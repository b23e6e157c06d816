"""Controls that do not apply to a model or sampler are hidden or disabled."""

from __future__ import annotations

from tests.gui.helpers import generate


def visible(panel, widget) -> bool:
    return panel.form.isRowVisible(widget)


def test_controls_follow_the_model_and_sampler(qtbot, studio):
    vm, panel = studio.view_model, studio.window.controls

    vm.set_field("model", "tiny-diffusion")
    vm.set_field("sampler", "dpmpp_2m")
    vm.set_field("label", None)
    assert panel.sampler.isEnabled() and panel.steps.isEnabled()
    assert not visible(panel, panel.eta)  # DPM++ has no eta
    assert visible(panel, panel.label) and panel.label.itemText(0) == "none"
    assert [panel.label.itemText(i) for i in range(1, 11)] == [str(d) for d in range(10)]
    assert visible(panel, panel.guidance) and not panel.guidance.isEnabled()  # CFG needs a label
    assert "class" in panel.guidance_note.text()

    panel.sampler.setCurrentIndex(panel.sampler.findData("ddim"))
    assert vm.fields.sampler == "ddim" and visible(panel, panel.eta)
    panel.label.setCurrentIndex(panel.label.findData("7"))
    assert vm.fields.label == "7" and panel.guidance.isEnabled()
    assert not visible(panel, panel.guidance_note)

    vm.set_field("model", "tiny-uncond")  # no labels, no guidance
    assert not visible(panel, panel.label) and not visible(panel, panel.guidance)
    assert vm.fields.label is None

    for model in ("tiny-vae", "tiny-gan"):
        vm.set_field("model", model)
        assert not panel.sampler.isEnabled() and not panel.steps.isEnabled()
        assert not visible(panel, panel.eta)
        assert "one step" in panel.sampler.toolTip()
    assert visible(panel, panel.label)  # the GAN is class-conditional
    assert not visible(panel, panel.guidance)


def test_the_recipe_uses_only_what_applies(qtbot, studio):
    vm = studio.view_model
    vm.restore_fields({"model": "tiny-diffusion", "sampler": "dpmpp_2m", "eta": 0.5, "guidance": 7.0,
                       "label": None, "steps": 12})
    recipe = vm.build_recipe()
    assert recipe.eta == 0.0 and recipe.guidance == 3.0 and recipe.steps == 12  # eta, CFG do not apply
    vm.set_field("sampler", "ddim")
    vm.set_field("label", "3")
    recipe = vm.build_recipe()
    assert recipe.eta == 0.5 and recipe.guidance == 7.0 and recipe.label == "3"
    vm.set_field("model", "tiny-vae")
    recipe = vm.build_recipe()
    assert recipe.sampler == "none" and recipe.steps == 1 and recipe.label is None
    assert generate(qtbot, studio).outcome == "finished"


def test_model_caption_shows_family_and_size(studio):
    vm, panel = studio.view_model, studio.window.controls
    vm.set_field("model", "tiny-diffusion")
    assert panel.model_caption.text().startswith("diffusion · 8×8 · grayscale · 10 classes · CFG")
    vm.set_field("model", "tiny-vae")
    assert panel.model_caption.text().startswith("vae · 8×8")


def test_seed_dice_and_lock(studio):
    vm, panel = studio.view_model, studio.window.controls
    vm.set_field("seed", 5)
    panel.dice.click()
    assert vm.fields.seed != 5 and panel.seed.text() == str(vm.fields.seed)
    panel.lock.click()
    assert vm.fields.seed_locked and panel.lock.text() == "Locked"
    panel.seed.setText("42")
    panel.seed.editingFinished.emit()
    assert vm.fields.seed == 42
