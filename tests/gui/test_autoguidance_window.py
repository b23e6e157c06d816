"""The window's Guide model row (autoguidance): a list of the models that can guide the chosen one, a
guided no-label run that finishes, and guidance panes titled model / guide."""

from __future__ import annotations

from engine.paths import user_models_dir
from engine.trajectory import GUIDED_VIEWS
from tests.engine.test_autoguidance import tiny
from tests.gui.helpers import generate


def items(combo) -> list[tuple[str, object]]:
    return [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]


def test_the_guide_row_lists_compatible_models_and_a_guided_run_finishes(qtbot, make_studio):
    tiny(user_models_dir(), "tiny-guide", seed=1)
    tiny(user_models_dir(), "tiny-guided", seed=2, default_guide={"model": "tiny-guide", "guidance": 2.0})
    studio = make_studio()
    vm, controls = studio.view_model, studio.window.controls
    vm.form.set_field("model", "tiny-guided")
    control = controls.controls["guide_model"]
    assert control.widget.isVisibleTo(controls)
    listed = items(control.combo)
    assert listed[:2] == [("default (tiny-guide)", None), ("none", "none")]
    names = {data for _, data in listed}
    assert {"tiny-guide", "tiny-diffusion"} <= names  # same size, labels and schedule: either can guide
    assert not names & {"tiny-guided", "tiny-uncond", "tiny-vae", "tiny-gan"}  # itself, no labels, one-pass
    assert controls.controls["guidance"].input.isEnabled()  # no label, but autoguided: the weight w
    assert controls.controls["guidance"].spin.specialValueText() == "default (2)"

    trajectory = generate(qtbot, studio, steps=3, batch=1, label=None)
    assert trajectory.outcome == "finished", vm.status.error
    assert (trajectory.recipe.guide_model, trajectory.recipe.guidance) == ("tiny-guide", 2.0)
    viewer = studio.window.viewer
    assert viewer.guidance_button.isVisible()
    viewer.guidance_button.click()
    titles = {name: viewer.titles[name].toolTip() for name in GUIDED_VIEWS}
    assert titles["noise_cond"].startswith("Model noise") and "(tiny-guide)" in titles["noise_uncond"]
    assert viewer.guided_actions["noise_uncond"].text().startswith("Guide noise")

    vm.form.set_field("label", "3")  # with a label the default is classifier-free guidance
    assert items(control.combo)[0] == ("default (none)", None)
    vm.form.set_field("guide_model", "none")
    vm.form.set_field("label", None)
    assert not controls.controls["guidance"].input.isEnabled()  # no label, no guide: nothing to guide
    assert "a class or a guide model" in controls.guidance_note.text()
    plain = generate(qtbot, studio)
    assert plain.recipe.guide_model == "none" and not plain.guided
    vm.form.set_field("model", "tiny-vae")
    assert not control.widget.isVisibleTo(controls)  # one pass: nothing to guide
