"""The families side by side in the real window, with a real engine thread: one action runs a
diffusion model, a VAE and a GAN on the same label and seeds into the Families dock; the diffusion
column scrubs through its steps, the others keep their one decode; the account says what each did,
how long it took and what its model card measured."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from engine import Recipe
from tests.engine.helpers import finished_images

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def run_families(qtbot, studio, timeout: int = 30_000):
    families = studio.families
    task = families.run_families()
    qtbot.waitUntil(task.done, timeout=timeout)
    assert task.exception() is None if not task.cancelled() else True
    return families.view


def test_one_action_runs_the_three_families_on_the_same_label_and_seeds(qtbot, studio):
    vm, families = studio.view_model, studio.families
    vm.form.set_field("model", "tiny-diffusion")
    vm.form.set_field("steps", 3)
    view = families.view
    view.label.setCurrentIndex(view.label.findData("3"))
    view.first_seed.setValue(20)
    view.count.setValue(3)
    assert families.action in studio.window.run_menu.actions() and not families.dock.isVisible()
    run_families(qtbot, studio)
    assert families.dock.isVisible() and not view.running and view.run.isEnabled()
    assert [(c.family.value, c.model, c.state) for c in view.columns] == [
        ("diffusion", "tiny-diffusion", "done"), ("vae", "tiny-vae", "done"), ("gan", "tiny-gan", "done")]
    diffusion, vae, gan = view.columns
    assert len(diffusion.view) == 3 and len(vae.view) == len(gan.view) == 1
    assert diffusion.recipe.label == "3" and gan.recipe.label == "3" and vae.recipe.label is None  # VAE: no labels
    assert all(c.recipe.seed == 20 and c.recipe.batch == 3 for c in view.columns)
    # each column is what `generate` makes with its recipe (sample i is seed 20 + i)
    for column in view.columns:
        np.testing.assert_array_equal(column.view.trajectory.final, finished_images(column.recipe.replace(device="cpu")))
    text = view.account.text()
    assert "3 denoising steps" in text and text.count("One decode") == 2 and "no label: any digit" in text
    assert "tiny-vae has no class labels" in text and re.search(r"\d+x the \d+ ms of tiny-(vae|gan)", text)
    assert text.count("Not measured yet") == 3  # the tiny models have no card


def test_the_diffusion_column_scrubs_and_the_decoders_keep_their_one_image(qtbot, studio):
    studio.view_model.form.set_field("model", "tiny-diffusion")
    studio.view_model.form.set_field("steps", 4)
    view = run_families(qtbot, studio)
    diffusion, vae, _ = view.columns
    assert view.slider.maximum() == 3 and view.playhead.step == 3  # it followed the run to its last step
    last_diffusion, last_vae = view.grid.image_for(diffusion), view.grid.image_for(vae)
    np.testing.assert_array_equal(last_diffusion, diffusion.view.trajectory.final)  # the end: the finished samples
    assert "4/4 steps, finished" in view.step_info.text()
    view.slider.setValue(0)
    assert view.playhead.step == 0 and "step 1/4" in view.step_info.text()
    assert not np.array_equal(view.grid.image_for(diffusion), last_diffusion)  # noise, not the digit
    np.testing.assert_array_equal(view.grid.image_for(vae), last_vae)
    view.view_choice.setCurrentIndex(view.view_choice.findData("x0"))
    np.testing.assert_array_equal(view.grid.image_for(diffusion), diffusion.view.trajectory.frame(0, "x0"))
    view.play.setChecked(True)
    qtbot.waitUntil(lambda: not view.play.isChecked(), timeout=5_000)  # played to the end, then stopped
    assert view.playhead.step == 3
    grab = view.grid.grab()
    assert grab.width() > 0 and grab.height() >= view.grid.heightForWidth(view.grid.width())


def cancel_families_after_two_steps(qtbot, studio):
    """Starts a long families run on the tiny diffusion model, cancels it two steps in, waits for it to end."""
    studio.view_model.form.set_field("model", "tiny-diffusion")
    studio.view_model.form.set_field("steps", 1000)
    task = studio.families.run_families()
    view = studio.families.view
    qtbot.waitUntil(lambda: bool(view.columns) and len(view.columns[0].view) >= 2, timeout=15_000)
    view.cancel.click()
    qtbot.waitUntil(task.done, timeout=10_000)
    return task, view


def test_cancel_stops_the_families_and_the_window_stays_usable(qtbot, studio):
    task, view = cancel_families_after_two_steps(qtbot, studio)
    vm = studio.view_model
    assert [c.state for c in view.columns] == ["cancelled", "cancelled", "cancelled"]
    assert view.run.isEnabled() and not view.cancel.isEnabled() and "(cancelled)" in view.account.text()
    assert vm.status.error is None and not vm.status.busy  # the main run state was never touched
    vm.form.set_field("steps", 2)
    studio.window.controls.generate.click()  # the engine thread is free again
    qtbot.waitUntil(lambda: vm.view.trajectory is not None and vm.view.trajectory.outcome == "finished", timeout=15_000)


@pytest.fixture
def digits_studio(make_studio, monkeypatch):
    monkeypatch.setenv("NOISESCOPE_ASSETS", str(ASSETS))
    return make_studio()


def test_the_account_reads_each_models_card_at_run_time(qtbot, digits_studio):
    vm = digits_studio.view_model
    vm.form.set_field("model", "digits-diffusion")
    vm.form.set_field("steps", 2)
    digits_studio.families.view.count.setValue(2)
    view = run_families(qtbot, digits_studio)
    assert [c.model for c in view.columns] == ["digits-diffusion", "digits-vae", "digits-gan"]
    text = view.account.text()
    for column in view.columns:  # whatever the card says now (a retraining rewrites it), the view says too
        card = (ASSETS / "models" / column.model / "MODEL_CARD.md").read_text(encoding="utf-8")
        no_label = re.search(r"^\| no label \| \d+ \| ([\d.]+%) \|", card, re.MULTILINE).group(1)
        assert no_label in text
        assert f"{column.model}: from MODEL_CARD.md, `noisescope evaluate {column.model}" in view.account.toolTip()
    assert "Not measured yet" not in text


def test_the_forms_model_picks_its_family_and_its_labels(qtbot, studio):
    vm, families = studio.view_model, studio.families
    vm.form.set_field("model", "tiny-gan")  # not a diffusion model: the families use the defaults
    base = families.base_recipe()
    assert base.sampler == Recipe().sampler and base.steps == Recipe().steps
    vm.form.set_field("model", "tiny-uncond")  # a diffusion model without labels: only "any digit"
    assert [families.view.label.itemData(i) for i in range(families.view.label.count())] == [None]
    vm.form.set_field("model", "tiny-diffusion")
    assert families.view.label.count() == 11  # any digit, and its ten labels


def test_the_view_fits_a_narrow_dock_and_resizing_settles(qtbot):
    """Nothing is cut off on the right down to a 1024-px window's dock, and resizing ends (the grid's
    height follows its width; a scroll bar coming and going once made that loop until a crash)."""
    from engine.kinds import Family
    from gui.families_view import Column, FamiliesView
    from gui.trajectory_view import TrajectoryView

    view = FamiliesView()
    qtbot.addWidget(view)
    view.set_labels(tuple("0123456789"), "3")
    view.grid.set_layout([Column(family, family.value, TrajectoryView(view.playhead, view))
                          for family in (Family.DIFFUSION, Family.VAE, Family.GAN)], (1, 2, 3, 4))
    view.show()
    body = view.grid.parentWidget()
    for width in (*range(290, 700, 23), 500, 290):
        view.resize(width, 480)
        qtbot.wait(1)
        viewport = body.parentWidget()
        assert body.width() <= viewport.width(), width
        assert view.grid.minimumHeight() == view.grid.heightForWidth(view.grid.width())
    assert not view.grid.grab().isNull()  # empty columns paint their placeholders


def as_run(form):
    """The form's recipe as Generate runs it (the model's family and defaults filled in)."""
    return form.build_recipe().check_against_model(form.model_info())


def test_the_families_runs_are_one_group_in_the_gallery_and_each_restores_its_recipe(qtbot, studio):
    from tests.gui.test_history_wiring import gallery_of, runs_shown

    gallery = gallery_of(qtbot, studio)  # the history is open: the runs are recorded
    vm = studio.view_model
    vm.form.set_field("model", "tiny-diffusion")
    vm.form.set_field("steps", 2)
    studio.families.view.label.setCurrentIndex(studio.families.view.label.findData("3"))
    studio.families.view.first_seed.setValue(30)
    studio.families.view.count.setValue(2)
    view = run_families(qtbot, studio)
    history = studio.history.history
    qtbot.waitUntil(lambda: "in the Gallery as families #" in studio.window.statusBar().currentMessage(),
                    timeout=10_000)
    (group,) = history.list_sweeps()
    runs = history.list_runs(sweep=group.id)
    assert group.kind == "families" and group.title() == (
        f"Families #{group.id} · 3 runs · label 3, seeds 30-31: tiny-diffusion, tiny-vae, tiny-gan")
    assert [run.recipe() for run in runs] == [column.recipe for column in view.columns]  # as run, one each
    assert [group.cell_label(run.sweep_cell) for run in runs] == ["tiny-diffusion", "tiny-vae", "tiny-gan"]
    qtbot.waitUntil(lambda: len(runs_shown(gallery)) == 3, timeout=10_000)
    row = gallery.model.row_of(runs[1].id)
    assert f"▦ families #{group.id}: tiny-vae" in gallery.model.data(gallery.model.index(row))
    assert gallery.sweep_filter.findData(group.id) > 0  # the group filter lists it

    gallery.select_run(runs[0].id)  # the diffusion run opens for scrubbing, its recipe in the controls
    gallery.open_button.click()
    qtbot.waitUntil(lambda: vm.view.trajectory is not None and vm.view.trajectory.recipe == runs[0].recipe(),
                    timeout=10_000)
    assert len(vm.view) == 2 and as_run(vm.form) == runs[0].recipe()
    gallery.select_run(runs[1].id)  # the VAE's: its unconditional recipe (the view's label is the diffusion's)
    gallery.open_button.click()
    qtbot.waitUntil(lambda: vm.view.trajectory.recipe == runs[1].recipe(), timeout=10_000)
    assert vm.form.fields.model == "tiny-vae" and as_run(vm.form) == runs[1].recipe()
    np.testing.assert_array_equal(vm.view.trajectory.final, view.columns[1].view.trajectory.final)


def test_a_cancelled_families_run_keeps_the_steps_made_in_the_history(qtbot, studio):
    from tests.gui.test_history_wiring import gallery_of

    gallery_of(qtbot, studio)
    task, view = cancel_families_after_two_steps(qtbot, studio)
    history = studio.history.history
    qtbot.waitUntil(lambda: bool(history.list_sweeps()), timeout=10_000)
    (group,) = history.list_sweeps()
    (run,) = history.list_runs(sweep=group.id)  # the diffusion run stopped midway; the others never ran
    assert run.outcome == "cancelled" and run.recipe().steps == 1000 and run.sweep_cell == 0
    assert "1 of 3 runs" in group.title()
