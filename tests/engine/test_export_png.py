"""PNG exports (one sample, the batch grid) carry the A1111 line and our recipe; model hashes."""

import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from engine import Recipe
from engine.export.formats.grid_png import save_grid
from engine.export.grid import default_scale, make_grid, upscale
from engine.export.png import save_png
from engine.models import hashing
from engine.models.registry import find_model
from engine.trajectory import Trajectory
from tests.engine.helpers import events_of


@pytest.fixture(scope="module")
def trajectory(tiny_models) -> Trajectory:
    recorded = Trajectory()
    for event in events_of(Recipe(model=str(tiny_models["diffusion"]), steps=4, batch=2, seed=7, label="3",
                                  device="cpu")):
        recorded.record(event)
    assert recorded.outcome == "finished"
    return recorded


def _settings(parameters: str) -> dict[str, str]:
    return dict(pair.split(": ", 1) for pair in parameters.splitlines()[1].split(", "))


def test_sample_png_carries_a1111_line_and_recipe(tmp_path, trajectory):
    path = save_png(trajectory.final[1], tmp_path / "one.png", trajectory.recipe, "0123456789", sample_index=1)
    with Image.open(path) as image:
        assert image.size == (8, 8)
        assert np.array_equal(np.asarray(image), trajectory.final[1][..., 0])
        prompt, _ = image.text["parameters"].split("\n")
        settings = _settings(image.text["parameters"])
        assert Recipe.from_json(image.text["noisescope_recipe"]) == trajectory.recipe
    assert prompt == "class 3"
    assert settings["Steps"] == "4" and settings["Sampler"] == "DPM++ 2M" and settings["CFG scale"] == "3"
    assert settings["Seed"] == "8"  # the seed of sample 1 is seed + 1
    assert settings["Size"] == "8x8" and settings["Model hash"] == "0123456789"
    assert settings["Batch size"] == "2" and settings["Batch pos"] == "1"


def test_grid_png_tiles_the_batch(tmp_path, trajectory):
    path = save_grid(trajectory.final, tmp_path / "grid.png", trajectory.recipe)
    with Image.open(path) as image:
        pixels = np.asarray(image)
        settings = _settings(image.text["parameters"])
    assert pixels.shape == (8, 8 + 2 + 8)
    assert np.array_equal(pixels[:, :8], trajectory.final[0][..., 0])
    assert np.array_equal(pixels[:, 10:], trajectory.final[1][..., 0])
    assert settings["Seed"] == "7" and settings["Size"] == "8x8" and "Batch pos" not in settings
    assert json.loads(Image.open(path).text["noisescope_recipe"])["batch"] == 2


def test_make_grid_rows_and_upscale():
    images = np.arange(5 * 2 * 3 * 3, dtype=np.uint8).reshape(5, 2, 3, 3)
    grid = make_grid(images, padding=1)
    assert grid.shape == (2 * 2 + 1, 3 * 3 + 2, 3)  # 5 samples: 3 columns, 2 rows
    assert np.array_equal(grid[3:5, 4:7], images[4])
    assert np.all(grid[3:5, 8:] == 0)  # the empty sixth place
    big = upscale(images[0], 4)
    assert big.shape == (8, 12, 3) and np.all(big[:4, :4] == images[0][0, 0])
    assert default_scale(8, 8) == 32 and default_scale(28, 28) == 9 and default_scale(600, 400) == 1
    assert default_scale(66, 136) == 2  # a 2x2 batch, x_t and x0 side by side: not left at 136 px


def test_model_hash_is_a1111_short_hash_computed_once(tiny_models, monkeypatch, isolated_user_data):
    info = find_model(str(tiny_models["diffusion"]))
    weights = hashing.weights_file(info)
    expected = hashlib.sha256(weights.read_bytes()).hexdigest()[:10]
    calls = []
    real = hashing.short_hash
    monkeypatch.setattr(hashing, "short_hash", lambda path: calls.append(path) or real(path))
    monkeypatch.setattr(hashing, "_memory", {})
    assert hashing.model_hash(info) == expected
    assert hashing.model_hash(info) == expected
    monkeypatch.setattr(hashing, "_memory", {})  # a new process: the file cache answers
    assert hashing.model_hash(info) == expected
    assert len(calls) == 1
    assert (isolated_user_data / hashing.CACHE_NAME).is_file()


def test_diffusers_folder_hash_and_unreadable_model(tiny_models, tmp_path):
    info = find_model(str(tiny_models["diffusers"]))
    weights = tiny_models["diffusers"] / "unet" / "diffusion_pytorch_model.safetensors"
    assert hashing.model_hash(info) == hashlib.sha256(weights.read_bytes()).hexdigest()[:10]
    gone = info.__class__(**{**info.__dict__, "source": str(tmp_path / "missing")})
    assert hashing.model_hash(gone) is None


def test_training_grids_use_the_one_tiler():
    from engine.training.grid import tile

    images = np.arange(5 * 3 * 2, dtype=np.uint8).reshape(5, 3, 2)
    sheet = tile(images, columns=3)
    assert sheet.shape == (3 + 1 + 3, 2 * 3 + 2)  # two rows of three, one-pixel grey gaps
    assert np.array_equal(sheet, make_grid(images[..., None], columns=3, padding=1, fill=96)[..., 0])
    assert np.array_equal(sheet[4:, 3:5], images[4]) and (sheet[3] == 96).all() and (sheet[4:, 6:] == 96).all()
