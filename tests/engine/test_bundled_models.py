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

BUNDLED = ["digits-diffusion", "digits-vae", "digits-gan", "digits-diffusion-early"]


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


def test_digits_vae_draws_the_digit_asked_through_its_fitted_prior():
    """The VAE's decoder takes no label: its fitted latent prior turns one into that class's region of z."""
    from engine.training.classifier import load_classifier, predict
    from engine.training.data import from_model_output

    info = find_model("digits-vae")
    assert info.labels == tuple(str(d) for d in range(10)) and info.latent_prior == "class_gaussians"
    classifier = load_classifier()
    for label in ("1", "7"):
        images = events_images(Recipe(model="digits-vae", batch=20, label=label, seed=1, device="cpu"))
        predicted = predict(classifier, from_model_output(images)).argmax(1)
        assert (predicted == int(label)).mean() >= 0.8, predicted
    # the standard prior (the plain VAE) still runs, and draws something else from the same seeds
    plain = events_images(Recipe(model="digits-vae", batch=20, seed=1, latent_prior="standard", device="cpu"))
    assert not np.array_equal(plain, events_images(Recipe(model="digits-vae", batch=20, seed=1, device="cpu")))


def test_digits_diffusion_is_autoguided_by_its_early_checkpoint_without_a_label():
    """Its no-label samples are guided by digits-diffusion-early (its 6,000-step checkpoint, bundled for it)."""
    from engine.autoguidance import guide_problem

    info, early = find_model("digits-diffusion"), find_model("digits-diffusion-early")
    assert (info.default_guide, info.default_guide_guidance) == ("digits-diffusion-early", 4.0)
    assert guide_problem(info, early) is None and early.default_guide is None
    assert early.parameters == info.parameters  # the same network, trained less
    events = list(run(Recipe(steps=3, batch=2, seed=1, device="cpu"), cache=ModelCache()))
    assert isinstance(events[-1], Finished), events[-1]
    assert (events[-1].recipe.guide_model, events[-1].recipe.guidance) == ("digits-diffusion-early", 4.0)
    assert events[1].noise_uncond is not None  # the guidance panes: model and guide
    labelled = Recipe(label="4").check_against_model(info)
    assert (labelled.guide_model, labelled.guidance) == ("none", 3.0)  # a label: classifier-free guidance


def events_images(recipe: Recipe) -> np.ndarray:
    events = list(run(recipe, cache=ModelCache(), previews=False))
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1].images


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
