"""Branch from this step for a text-to-image run, in the real window with a real engine thread (a tiny
random Stable Diffusion folder among the models, nothing downloaded): unchanged, the branch ends on its
parent's image; with another prompt it starts from the parent's steps and ends elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from engine.trajectory import GUIDED_VIEWS
from tests.engine.tiny_sd import tiny_sd_folder
from tests.gui.test_branch_window import branch_recorded
from tests.gui.test_history_wiring import generate_recorded

SD = {"model": "tiny-sd", "prompt": "a red cat", "width": 32, "height": 32, "steps": 4, "batch": 1, "guidance": 5.0,
      "sampler": "dpmpp_2m", "seed": 7, "seed_locked": True}


@pytest.fixture(scope="module")
def sd_assets(tmp_path_factory):
    root = tmp_path_factory.mktemp("sd-assets")
    (root / "models").mkdir()
    tiny_sd_folder(root / "models", "tiny-sd")
    return root


@pytest.fixture
def studio(make_studio, monkeypatch, sd_assets):
    monkeypatch.setenv("NOISESCOPE_ASSETS", str(sd_assets))
    return make_studio()


def test_a_text_to_image_run_branches_in_the_window(qtbot, studio):
    parent, parent_id = generate_recorded(qtbot, studio, **SD)
    assert parent.outcome == "finished" and parent.recipe.prompt == "a red cat" and parent.has_latents
    same, same_id = branch_recorded(qtbot, studio, 2)
    assert same.recipe.branch.from_step == 2 and same.recipe.branch.parent == parent.recipe
    np.testing.assert_array_equal(same.final, parent.final)  # unchanged: the parent's image, bit for bit

    other, other_id = branch_recorded(qtbot, studio, 2, prompt="a blue dog")  # from the branch on screen
    assert other.recipe.prompt == "a blue dog" and other.recipe.branch.parent == same.recipe
    assert len(other) == len(parent)
    for ours, theirs in zip(other.steps[:2], parent.steps[:2], strict=True):  # replayed: the parent's steps
        np.testing.assert_array_equal(ours.x_t, theirs.x_t)
        np.testing.assert_array_equal(ours.latents, theirs.latents)
    assert not np.array_equal(other.final, parent.final)
    record = studio.history.history.get_run(other_id)
    assert (record.parent_id, record.from_step) == (same_id, 2)
    assert studio.history.history.get_run(same_id).parent_id == parent_id
    viewer = studio.window.viewer  # a guided run: its three guidance panes are shown when asked
    assert viewer.guidance_button.isVisible()
    viewer.guidance_button.click()
    assert all(viewer.panes[name].isVisible() and viewer.canvases[name].image is not None for name in GUIDED_VIEWS)
