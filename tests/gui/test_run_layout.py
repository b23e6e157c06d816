"""A stored or dropped run shows in its own family's layout; the viewer says which run it shows;
a one-pass run's steps never carry over to diffusion (issue 12, the window)."""

from __future__ import annotations

import dataclasses

from engine.recipe import Recipe
from engine.samplers.registry import NO_SAMPLER
from tests.gui.helpers import generate


def shown_panes(window) -> list[str]:
    viewer = window.viewer
    return [name for name, pane in viewer.panes.items() if pane.isVisibleTo(viewer)]


def test_a_diffusion_run_shown_after_a_gan_run_gets_three_panes(qtbot, studio):
    vm, window = studio.view_model, studio.window
    diffusion = generate(qtbot, studio, model="tiny-diffusion", steps=3, batch=1, sampler="ddim")
    generate(qtbot, studio, model="tiny-gan", batch=2)
    assert shown_panes(window) == ["x0"] and window.viewer.titles["x0"].toolTip() == "Decoded sample"
    assert vm.show_trajectory(diffusion)  # the form still says tiny-gan, as after a drop
    assert shown_panes(window) == ["x_t", "x0", "noise"]
    assert window.viewer.titles["x0"].toolTip() != "Decoded sample"


def test_a_diffusion_trajectory_without_noise_is_not_a_decoded_sample(qtbot, studio):
    vm, window = studio.view_model, studio.window
    diffusion = generate(qtbot, studio, model="tiny-diffusion", steps=3, batch=1, sampler="ddim")
    stripped = dataclasses.replace(diffusion, steps=[dataclasses.replace(s, noise=None) for s in diffusion.steps])
    generate(qtbot, studio, model="tiny-vae", batch=1)
    assert vm.show_trajectory(stripped)
    assert "x_t" in shown_panes(window) and window.viewer.titles["x0"].toolTip() != "Decoded sample"


def test_a_gan_run_shown_while_a_diffusion_model_is_chosen_gets_one_pane(qtbot, studio):
    vm, window = studio.view_model, studio.window
    gan = generate(qtbot, studio, model="tiny-gan", batch=4)
    generate(qtbot, studio, model="tiny-diffusion", steps=2, batch=1, sampler="ddim")
    assert len(shown_panes(window)) == 3
    assert vm.show_trajectory(gan)
    assert shown_panes(window) == ["x0"] and window.viewer.titles["x0"].toolTip() == "Decoded sample"


def test_the_viewer_says_which_run_it_shows(qtbot, studio):
    vm, window = studio.view_model, studio.window
    run = generate(qtbot, studio, model="tiny-diffusion", steps=3, batch=1, sampler="ddim", seed=4242, seed_locked=True)
    text = window.run_caption.text()
    assert "tiny-diffusion" in text and "DDIM" in text and "3 steps" in text and "4242" in text
    generate(qtbot, studio, model="tiny-gan", batch=1)
    assert "tiny-gan" in window.run_caption.text() and "steps" not in window.run_caption.text()
    vm.show_trajectory(run, source="from history #12")
    assert "tiny-diffusion" in window.run_caption.text() and "from history #12" in window.run_caption.text()


def test_steps_of_a_one_pass_run_do_not_carry_over_to_diffusion(qtbot, studio):
    vm = studio.view_model
    vm.form.set_field("model", "tiny-diffusion")
    vm.form.set_field("steps", 12)
    generate(qtbot, studio, model="tiny-gan", batch=1)
    for recipe in (Recipe(model="tiny-gan", sampler=NO_SAMPLER, steps=1),
                   Recipe(model="tiny-gan", sampler="euler", steps=1)):  # a foreign file may name a sampler
        vm.form.use_recipe(recipe)
        assert vm.form.fields.model == "tiny-gan"
        vm.form.set_field("model", "tiny-diffusion")
        assert vm.form.fields.steps == 12
        vm.form.set_field("model", "tiny-gan")


def test_narrow_panes_and_timeline_shorten_their_text_instead_of_cutting_it(qtbot, studio):
    window = studio.window
    generate(qtbot, studio, model="tiny-diffusion", steps=3, batch=1, sampler="ddim", seed=3141592653,
             seed_locked=True)
    studio.view_model.show_trajectory(studio.view_model.view.trajectory, "from history #12")
    for size in ((1024, 700), (1280, 800)):
        window.resize(*size)
        qtbot.waitUntil(lambda size=size: window.width() == size[0])
        qtbot.wait(20)
        for name, label in window.viewer.titles.items():
            if label.isVisibleTo(window):
                assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width(), (size, name, label.text())
        info = window.timeline.info
        assert info.fontMetrics().horizontalAdvance(info.text()) <= info.width(), (size, info.text())
        assert info.text().replace("Step ", "").startswith("3 / 3")
        caption = window.run_caption
        assert caption.fontMetrics().horizontalAdvance(caption.text()) <= caption.width(), (size, caption.text())
        assert "seed 3141592653" in caption.text() and "from history #12" in caption.text()
        seed = window.controls.controls["seed"].input
        assert seed.fontMetrics().horizontalAdvance("3141592653") < seed.width() - 8  # every digit shows
        _assert_the_gallery_is_usable(qtbot, studio, size)


def _assert_the_gallery_is_usable(qtbot, studio, size) -> None:
    """Beside the viewer: a thumbnail column, every button's text whole, and the viewer keeps most of the width."""
    from gui.gallery_panel import THUMBNAIL
    from gui.main_window import MIN_PANEL_WIDTH

    qtbot.waitUntil(lambda: studio.history.gallery is not None, timeout=30_000)
    window, gallery, dock = studio.window, studio.history.gallery, studio.history.dock
    assert dock.isVisible() and MIN_PANEL_WIDTH <= dock.width() <= window.width() // 3, (size, dock.width())
    assert gallery.view.viewport().width() >= THUMBNAIL + 52, size  # at least one thumbnail column
    for button in (gallery.open_button, gallery.rerun_button, gallery.star_button, gallery.copy_button,
                   gallery.delete_button):
        assert button.fontMetrics().horizontalAdvance(button.text()) < button.width(), (size, button.text())
    assert window.viewer.width() >= window.width() // 3, size  # the images keep most of the room
