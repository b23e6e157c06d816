"""Contact sheets: every k-th step of one sample, labelled, with the final image."""

import numpy as np
import pytest
from PIL import Image

from engine import Recipe
from engine.errors import ExportError
from engine.export.contact_sheet import (
    GAP,
    LABEL_HEIGHT,
    ROW_LABEL_WIDTH,
    contact_sheet,
    save_contact_sheet,
    sheet_steps,
)
from engine.export.grid import upscale
from engine.trajectory import Trajectory
from tests.engine.helpers import events_of


@pytest.fixture(scope="module")
def trajectory(tiny_models) -> Trajectory:
    recorded = Trajectory()
    for event in events_of(Recipe(model=str(tiny_models["diffusion"]), steps=5, batch=2, device="cpu")):
        recorded.record(event)
    return recorded


def test_which_steps():
    assert sheet_steps(30) == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 29]
    assert sheet_steps(5, every=2) == [0, 2, 4]
    assert sheet_steps(4, every=3) == [0, 3]
    assert sheet_steps(1) == [0]


def test_sheet_layout_cells_and_labels(trajectory):
    sheet = np.asarray(contact_sheet(trajectory, sample=1, every=2))
    cell = 8 * 12  # 8 px enlarged to about 96
    columns = 3 + 1  # steps 1, 3 and 5, then the final image
    assert sheet.shape == (2 * (cell + GAP) + LABEL_HEIGHT + GAP, ROW_LABEL_WIDTH + columns * (cell + GAP) + GAP, 3)
    left = ROW_LABEL_WIDTH + GAP
    x0_row_top = GAP + cell + GAP
    second_x0 = sheet[x0_row_top:x0_row_top + cell, left + cell + GAP:left + 2 * cell + GAP, 0]
    assert np.array_equal(second_x0, upscale(trajectory.steps[2].x0[1], 12)[..., 0])
    final = sheet[GAP:GAP + cell, left + 3 * (cell + GAP):left + 3 * (cell + GAP) + cell, 0]
    assert np.array_equal(final, upscale(trajectory.final[1], 12)[..., 0])
    labels = sheet[2 * (cell + GAP) + GAP:, left:left + cell]
    assert (labels < 128).any() and (labels > 128).any()  # text was drawn on the white band


def test_saved_sheet_carries_recipe(tmp_path, trajectory):
    path = save_contact_sheet(trajectory, tmp_path / "sheet.png", sample=0, model_hash="feedc0ffee")
    with Image.open(path) as image:
        assert Recipe.from_json(image.text["noisescope_recipe"]) == trajectory.recipe
        assert "Model hash: feedc0ffee" in image.text["parameters"]


def test_bad_sample(trajectory):
    with pytest.raises(ExportError, match="sample must be between 0 and 1"):
        contact_sheet(trajectory, sample=5)
