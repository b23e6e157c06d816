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
COLOUR = ["twemoji-diffusion", "twemoji-diffusion-guide"]


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


@pytest.mark.parametrize("name", BUNDLED + COLOUR)
def test_bundled_model_is_documented(name):
    folder = bundled_models_dir() / name
    config = json.loads((folder / "config.json").read_text())
    assert {"description", "training", "data", "licence"} <= set(config)
    assert config["training"]["arguments"]["command"].startswith(f"noisescope train {config['family']}")
    card = (folder / "MODEL_CARD.md").read_text()
    credit = ("LeCun", "CC BY-SA 3.0") if name in BUNDLED else ("Twemoji by Twitter, Inc", "CC-BY 4.0")
    assert all(words in card for words in credit) and all(words in config["data"]["attribution"] for words in credit)
    assert (folder / "samples.png").is_file()


def yellow_share(images: np.ndarray) -> float:
    """The share of samples whose middle is emoji-face yellow."""
    middle = np.median(images[:, 10:22, 10:22].reshape(len(images), -1, 3).astype(int), axis=1)
    return float(((middle[:, 0] > 200) & (middle[:, 1] > 150) & (middle[:, 2] < 110)).mean())


def test_twemoji_diffusion_draws_colour_emoji_of_the_category_asked():
    info = find_model("twemoji-diffusion")
    assert (info.height, info.width, info.channels) == (32, 32, 3) and len(info.labels) == 9
    assert info.background == "white" and find_model("digits-diffusion").background is None  # as trained
    smileys = events_images(Recipe(model="twemoji-diffusion", steps=10, batch=16, label="smileys-emotion", seed=1,
                                   device="cpu"))
    flags = events_images(Recipe(model="twemoji-diffusion", steps=10, batch=16, label="flags", seed=1, device="cpu"))
    assert smileys.shape == (16, 32, 32, 3) and smileys.dtype == np.uint8
    assert smileys[:, :2, :2].mean() > 180  # white around the emoji, as the training graphics were composited
    assert yellow_share(smileys) >= 0.4 and yellow_share(flags) <= 0.15  # faces are yellow, flags are not


def test_twemoji_diffusion_takes_guidance_6_with_a_label_and_its_small_guide_without():
    from engine.autoguidance import guide_problem

    info, guide = find_model("twemoji-diffusion"), find_model("twemoji-diffusion-guide")
    assert (info.default_guide, info.default_guide_guidance, info.default_guidance) == (
        "twemoji-diffusion-guide", 4.0, 6.0)
    assert guide_problem(info, guide) is None and guide.parameters < info.parameters / 3  # smaller: a bad version
    events = list(run(Recipe(model="twemoji-diffusion", steps=3, batch=2, seed=1, device="cpu"), cache=ModelCache()))
    assert isinstance(events[-1], Finished), events[-1]
    assert (events[-1].recipe.guide_model, events[-1].recipe.guidance) == ("twemoji-diffusion-guide", 4.0)
    labelled = Recipe(model="twemoji-diffusion", label="flags").check_against_model(info)
    assert (labelled.guide_model, labelled.guidance) == ("none", 6.0)


def test_the_models_listing_keeps_its_columns_with_nine_long_labels(capsys):
    assert main(["models"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")}
    assert "9 labels: activities, animals-nature, ..." in lines["twemoji-diffusion"]
    assert lines["twemoji-diffusion"].index("M params") == lines["digits-diffusion"].index("M params")


def test_models_json_lists_the_bundled_models(capsys):
    assert main(["models", "--json"]) == 0
    listed = {model["name"]: model for model in json.loads(capsys.readouterr().out)["models"]}
    assert set(BUNDLED + COLOUR) <= set(listed)
    assert len(listed["twemoji-diffusion"]["labels"]) == 9  # all of them, where the listing shortens
    assert listed["digits-diffusion"]["family"] == "diffusion"


def test_bundled_assets_stay_small():
    total = sum(path.stat().st_size for path in bundled_models_dir().rglob("*") if path.is_file())
    assert total < 50 * 2**20
