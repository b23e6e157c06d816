"""Branch from this step, in the real window with a real engine thread: the action, the run it
makes (live, recorded with its parent), the caption and the gallery's branches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.gui.helpers import run_finished
from tests.gui.test_history_wiring import gallery_of, generate_recorded, runs_shown

ASSETS = Path(__file__).resolve().parents[2] / "assets"  # the bundled digits models (the tests' assets: tiny ones)
DIGITS = {"model": "digits-diffusion", "label": "3", "steps": 4, "batch": 1}


@pytest.fixture
def studio(make_studio, monkeypatch):
    """A window over the bundled models: the tiny random ones saturate to the same 0/255 image."""
    monkeypatch.setenv("NOISESCOPE_ASSETS", str(ASSETS))
    return make_studio()


def branch_recorded(qtbot, studio, step: int, **form):
    """Scrub to `step`, set the form, branch; wait until the branch is in the history."""
    vm = studio.view_model
    for name, value in form.items():
        vm.form.set_field(name, value)
    vm.playhead.set_step(step)
    action = studio.branch.action
    assert action.isEnabled(), action.toolTip()
    with qtbot.waitSignal(studio.history.recorded, timeout=15_000) as recorded:
        action.trigger()
        qtbot.waitUntil(lambda: run_finished(vm), timeout=15_000)
    return vm.view.trajectory, recorded.args[0]


def test_unchanged_branch_ends_on_the_parents_image_and_is_linked(qtbot, studio):
    parent, parent_id = generate_recorded(qtbot, studio, **{**DIGITS, "batch": 2}, sampler="dpmpp_2m")
    child, child_id = branch_recorded(qtbot, studio, 2)
    assert child.recipe.branch.from_step == 2 and child.recipe.branch.parent == parent.recipe
    assert child.outcome == "finished" and len(child) == len(parent)  # streamed live, every step
    np.testing.assert_array_equal(child.final, parent.final)  # bit for bit
    record = studio.history.history.get_run(child_id)
    assert (record.parent_id, record.from_step) == (parent_id, 2)
    caption = studio.window.run_caption
    qtbot.waitUntil(lambda: f"branch of run #{parent_id} at step 3" in caption.toolTip(), timeout=5_000)


def test_branch_with_another_sampler_differs_and_the_gallery_shows_it(qtbot, studio):
    parent, parent_id = generate_recorded(qtbot, studio, **DIGITS, sampler="dpmpp_2m")
    child, child_id = branch_recorded(qtbot, studio, 1, sampler="euler")
    assert child.recipe.sampler == "euler" and child.recipe.branch.parent.sampler == "dpmpp_2m"
    assert not np.array_equal(child.final, parent.final)
    gallery = gallery_of(qtbot, studio)
    shown = {run.id: gallery.model.data(gallery.model.index(row)) for row, run in enumerate(runs_shown(gallery))}
    assert f"↳ branch of #{parent_id} @2" in shown[child_id]
    assert "branch" not in shown[parent_id]
    studio.view_model.form.set_field("model", "digits-vae")  # the form on another model: refused, and why
    assert not studio.branch.action.isEnabled() and "not this run's" in studio.branch.action.toolTip()


def test_branching_is_refused_for_a_vae_run_and_while_busy(qtbot, studio):
    action = studio.branch.action
    assert action in studio.window.run_menu.actions() and studio.branch.button.defaultAction() is action
    assert not action.isEnabled() and "Run or open a diffusion run" in action.toolTip()  # nothing on screen yet
    gallery_of(qtbot, studio)
    with qtbot.waitSignal(studio.history.recorded, timeout=15_000):
        studio.view_model.form.restore_fields({"model": "digits-vae", "batch": 1})
        studio.window.controls.generate.click()
        assert not action.isEnabled() and "run is going" in action.toolTip()
        qtbot.waitUntil(lambda: run_finished(studio.view_model), timeout=15_000)
    assert not action.isEnabled() and "VAE or GAN" in action.toolTip()
    studio.branch.branch()  # refused quietly: no run starts
    assert studio.view_model.view.trajectory.recipe.branch is None and not studio.view_model.status.busy


def test_the_gallery_shows_a_runs_family_and_opens_a_branch_for_scrubbing(qtbot, studio):
    parent, parent_id = generate_recorded(qtbot, studio, **DIGITS, sampler="ddim")
    child, child_id = branch_recorded(qtbot, studio, 1, guidance=5.0)
    _, other_id = generate_recorded(qtbot, studio, **DIGITS, sampler="euler")  # not of the family
    gallery = gallery_of(qtbot, studio)
    gallery.select_run(child_id)
    assert gallery.branches_only.isEnabled()
    with qtbot.waitSignal(gallery.model.loaded, timeout=5_000):
        gallery.branches_only.setChecked(True)
    assert [run.id for run in runs_shown(gallery)] == [parent_id, child_id]  # the tree, top down
    assert gallery.selected_run().id == child_id and not gallery.model_filter.isEnabled()
    with qtbot.waitSignal(gallery.model.loaded, timeout=5_000):
        gallery.branches_only.setChecked(False)
    assert {run.id for run in runs_shown(gallery)} == {parent_id, child_id, other_id}

    gallery.select_run(child_id)
    gallery.open_selected()
    vm = studio.view_model
    qtbot.waitUntil(lambda: vm.view.source == f"from history #{child_id}", timeout=5_000)
    assert vm.view.trajectory.recipe.branch.from_step == 1 and len(vm.view) == len(child)
    vm.playhead.set_step(0)
    np.testing.assert_array_equal(vm.view.frame("x_t"), parent.steps[0].x_t)  # the replayed steps are the parent's
    caption = studio.window.run_caption
    qtbot.waitUntil(lambda: f"branch of run #{parent_id} at step 2" in caption.toolTip(), timeout=5_000)
    assert studio.branch.action.isEnabled()  # a branch branches again
