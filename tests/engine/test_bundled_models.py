"""The models shipped in assets/models: each loads, generates through engine.run, and is documented."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import Failed, Finished, Recipe, run
from engine.cli.main import main
from engine.model_cache import ModelCache
from engine.models import find_model
from engine.paths import bundled_models_dir

BUNDLED = ["digits-diffusion", "digits-vae", "digits-gan"]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_model_generates_digits(name):
    info = find_model(name)
    assert info.origin == "bundled" and (info.height, info.width, info.channels) == (32, 32, 1)
    label = "7" if info.labels else None
    recipe = Recipe(model=name, steps=4, batch=4, label=label, seed=1, device="cpu")
    events = list(run(recipe, cache=ModelCache(), previews=False))
    assert not isinstance(events[-1], Failed), events[-1]
    assert isinstance(events[-1], Finished)
    images = events[-1].images
    assert images.shape == (4, 32, 32, 1) and images.dtype == np.uint8
    assert images.std() > 20  # not a constant or washed-out image
    assert images[:, :2].mean() < 40  # black background, as in the training digits


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_model_is_documented(name):
    folder = bundled_models_dir() / name
    config = json.loads((folder / "config.json").read_text())
    assert {"description", "training", "data", "licence"} <= set(config)
    assert config["training"]["arguments"]["command"].startswith(f"noisescope train {config['family']}")
    card = (folder / "MODEL_CARD.md").read_text()
    assert "LeCun" in card and "CC BY-SA 3.0" in card
    assert (folder / "samples.png").is_file()


def test_models_json_lists_the_three(capsys):
    assert main(["models", "--json"]) == 0
    listed = {model["name"]: model for model in json.loads(capsys.readouterr().out)["models"]}
    assert set(BUNDLED) <= set(listed)
    assert listed["digits-diffusion"]["family"] == "diffusion"


def test_bundled_assets_stay_small():
    total = sum(path.stat().st_size for path in bundled_models_dir().rglob("*") if path.is_file())
    assert total < 50 * 2**20
