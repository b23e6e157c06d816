"""A VAE's fitted latent prior (engine/models/latent_prior.py): fitting, storing, checking, sampling, the recipe field."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from engine import Recipe
from engine.cli.main import main
from engine.decoder_run import sample_latents
from engine.errors import InvalidRecipe, ModelLoadError
from engine.export.a1111 import a1111_parameters, parse_a1111
from engine.export.restore import read_recipe
from engine.families.account import what_it_did
from engine.model_cache import ModelCache
from engine.models.architectures.vae import ConvVAE
from engine.models.bundled_writer import save_bundled
from engine.models.catalog import find_model
from engine.training.data import Digits, to_model_input
from engine.training.latent_prior_fit import class_gaussians, fit_prior
from tests import factories
from tests.engine.helpers import finished_images


def loaded(folder: Path):
    return ModelCache().get(find_model(str(folder)), torch.device("cpu"), torch.float32)


@pytest.fixture(scope="module")
def prior_vae(tmp_path_factory) -> Path:
    return factories.tiny_prior_vae(tmp_path_factory.mktemp("prior"))


def fake_digits(count_per_class: int = 3) -> Digits:
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(10), count_per_class)
    images = np.zeros((len(labels), 28, 28), np.uint8)
    for index, label in enumerate(labels):  # a blob whose place depends on the class
        images[index, 4 + label:12 + label, 6:14] = rng.integers(100, 256, (8, 8))
    return Digits(images, labels)


# -- fitting -------------------------------------------------------------------------------------------
def test_class_gaussians_are_the_moments_of_each_class():
    mu = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0], [5.0, 5.0], [7.0, 5.0]], dtype=torch.float64)
    variance = torch.full((6, 2), 0.5, dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 0, 1, 1])
    prior = class_gaussians(mu, variance, labels, classes=3)
    assert torch.allclose(prior.means[0], torch.tensor([1.0, 1.0])) and torch.allclose(prior.means[1],
                                                                                       torch.tensor([6.0, 5.0]))
    # covariance of the means (unbiased: 4/3 on the diagonal) + the mean posterior variance
    covariance = prior.scale_tril[0] @ prior.scale_tril[0].T
    assert torch.allclose(covariance, torch.diag(torch.tensor([4 / 3 + 0.5, 4 / 3 + 0.5])), atol=1e-6)
    second = prior.scale_tril[1] @ prior.scale_tril[1].T
    assert torch.allclose(second, torch.tensor([[2.0 + 0.5, 0.0], [0.0, 0.5]]), atol=1e-6)
    assert torch.allclose(prior.weights, torch.tensor([4 / 6, 2 / 6, 0.0]))  # shares of the training set
    assert torch.equal(prior.scale_tril[2], torch.eye(2))  # no images: N(0, I), never drawn unasked


def test_fit_prior_matches_the_encoder_on_the_training_digits():
    torch.manual_seed(0)
    vae = ConvVAE(channels=1, image_size=32, latent_dim=3, widths=[4, 8]).eval()
    digits = fake_digits()
    fitted = fit_prior(vae, digits, command="test")
    with torch.inference_mode():
        mu, logvar = vae.encode(to_model_input(digits.images))
    members = torch.from_numpy(digits.labels) == 4
    expected_mean = mu[members].double().mean(0)
    expected_cov = torch.cov(mu[members].double().T) + torch.diag(logvar[members].double().exp().mean(0))
    scale = fitted.prior.scale_tril[4].double()
    assert torch.allclose(fitted.prior.means[4].double(), expected_mean, atol=1e-5)
    assert torch.allclose(scale @ scale.T, expected_cov, atol=1e-5)
    assert fitted.labels == [str(c) for c in range(10)] and fitted.record["per_class"] == [3] * 10


def vae_and_digits(tmp_path: Path) -> tuple[Path, Path]:
    """A 32x32 VAE folder with no prior yet, and a digits file (4 fake digits per class) to fit one to."""
    config = {"channels": 1, "image_size": 32, "latent_dim": 3, "widths": [4, 8]}
    torch.manual_seed(0)
    folder = save_bundled(tmp_path / "vae32", {
        "name": "vae32", "family": "vae", "architecture": "ConvVAE", "architecture_config": config,
        "height": 32, "width": 32, "channels": 1, "labels": None, "latent_dim": 3, "training": {"steps": 5}},
        ConvVAE(**config).eval())
    digits = fake_digits(4)
    data = tmp_path / "digits.npz"
    np.savez_compressed(data, images=digits.images, labels=digits.labels.astype(np.uint8))
    return folder, data


def test_fit_prior_command_writes_the_prior_and_a_refit_replaces_it(tmp_path, capsys):
    folder, data = vae_and_digits(tmp_path)
    before = load_file(str(folder / "model.safetensors"))
    assert main(["fit-prior", str(folder), "--data", str(data)]) == 0
    first = (folder / "model.safetensors").read_bytes()
    written = json.loads((folder / "config.json").read_text())
    assert written["latent_prior"] == "class_gaussians" and written["labels"] == [str(c) for c in range(10)]
    assert written["training"]["steps"] == 5  # kept
    record = written["training"]["latent_prior"]
    assert record["command"] == f"noisescope fit-prior {folder} --data {data}"
    assert record["images"] == 20 and record["per_class"] == [2] * 10  # the split holds half of each class out
    state = load_file(str(folder / "model.safetensors"))
    assert {k for k in state if k.startswith("latent_prior.")} == {
        "latent_prior.means", "latent_prior.scale_tril", "latent_prior.weights"}
    assert all(state[k].dtype == torch.float32 for k in state if k.startswith("latent_prior."))
    for key, value in before.items():  # the module's weights are untouched
        assert torch.equal(state[key], value), key
    info = find_model(str(folder))
    assert info.latent_prior == "class_gaussians" and info.parameters == sum(v.numel() for v in before.values())
    assert loaded(folder).prior is not None
    capsys.readouterr()
    assert main(["fit-prior", str(folder), "--data", str(data)]) == 0  # again: the same file, not a second prior
    assert (folder / "model.safetensors").read_bytes() == first
    assert json.loads((folder / "config.json").read_text()) == written


def test_spread_widens_each_class_and_is_recorded(tmp_path, capsys):
    folder, data = vae_and_digits(tmp_path)
    assert main(["fit-prior", str(folder), "--data", str(data)]) == 0
    plain = load_file(str(folder / "model.safetensors"))
    assert json.loads((folder / "config.json").read_text())["training"]["latent_prior"]["spread"] == 1.0
    assert main(["fit-prior", str(folder), "--data", str(data), "--spread", "1.5"]) == 0
    assert "widened x1.5" in capsys.readouterr().out
    wide = load_file(str(folder / "model.safetensors"))
    assert torch.allclose(wide["latent_prior.scale_tril"], 1.5 * plain["latent_prior.scale_tril"])
    assert torch.equal(wide["latent_prior.means"], plain["latent_prior.means"])
    assert torch.equal(wide["latent_prior.weights"], plain["latent_prior.weights"])
    record = json.loads((folder / "config.json").read_text())["training"]["latent_prior"]
    assert record["spread"] == 1.5 and record["command"].endswith("--spread 1.5")
    for bad in ("0", "-1", "nan", "9"):
        assert main(["fit-prior", str(folder), "--data", str(data), "--spread", bad]) == 2
        assert "--spread must be from 0.25 to 4" in capsys.readouterr().err
    assert load_file(str(folder / "model.safetensors"))["latent_prior.scale_tril"].equal(wide["latent_prior.scale_tril"])


def test_fit_prior_refuses_what_it_cannot_fit(tiny_models, capsys):
    assert main(["fit-prior", str(tiny_models["gan"])]) == 2
    assert "fit-prior fits the latent prior of a VAE" in capsys.readouterr().err
    assert main(["fit-prior", str(tiny_models["vae"])]) == 2  # 8x8: not the digits
    assert "fitted to the 32x32 grey digits" in capsys.readouterr().err


# -- sampling ----------------------------------------------------------------------------------------------
def test_a_label_draws_from_that_class_and_standard_from_n01(prior_vae):
    model = loaded(prior_vae)
    noise = torch.cat([torch.randn((1, 4), generator=torch.Generator().manual_seed(5 + i)) for i in range(3)])
    z, labels = sample_latents(model, Recipe(model=str(prior_vae), seed=5, batch=3, label="7"))
    assert labels is None  # the decoder takes no class
    assert torch.allclose(z, 70 * torch.eye(4)[0] + 0.1 * noise)
    plain, _ = sample_latents(model, Recipe(model=str(prior_vae), seed=5, batch=3, latent_prior="standard"))
    assert torch.equal(plain, noise)


def test_no_label_draws_each_class_by_weight_from_the_samples_own_seed(tmp_path):
    only_two = factories.tiny_prior_vae(tmp_path, tensors={"latent_prior.weights": torch.eye(10)[2]})
    z, _ = sample_latents(loaded(only_two), Recipe(model=str(only_two), seed=0, batch=8))
    assert torch.allclose(z[:, 0], torch.full((8,), 20.0), atol=1.0)  # class 2, the only one with weight
    even = factories.tiny_prior_vae(tmp_path, name="even")
    z, _ = sample_latents(loaded(even), Recipe(model=str(even), seed=0, batch=40))
    classes = (z[:, 0] / 10).round().long()
    assert torch.allclose(z[:, 0], 10 * classes.float(), atol=1.0) and len(set(classes.tolist())) >= 6


def test_a_sample_is_the_same_whatever_its_batch(prior_vae):
    whole = finished_images(Recipe(model=str(prior_vae), seed=30, batch=6, device="cpu"))
    for index in (0, 4):
        alone = finished_images(Recipe(model=str(prior_vae), seed=30 + index, batch=1, device="cpu"))
        assert np.array_equal(whole[index], alone[0])
    assert np.array_equal(whole, finished_images(Recipe(model=str(prior_vae), seed=30, batch=6, device="cpu")))


def test_an_interpolation_ends_on_the_variation_seeds_own_sample(prior_vae):
    model = loaded(prior_vae)
    end, _ = sample_latents(model, Recipe(model=str(prior_vae), seed=9))
    start, _ = sample_latents(model, Recipe(model=str(prior_vae), seed=4))
    at_one, _ = sample_latents(model, Recipe(model=str(prior_vae), seed=4, variation_seed=9, variation_strength=1.0))
    half, _ = sample_latents(model, Recipe(model=str(prior_vae), seed=4, variation_seed=9, variation_strength=0.5))
    assert torch.equal(at_one, end)
    assert min(start[0, 0], end[0, 0]) - 1 < half[0, 0] < max(start[0, 0], end[0, 0]) + 1  # on the way


# -- hostile priors ---------------------------------------------------------------------------------------
HOSTILE = [
    ({"latent_prior.means": torch.zeros(9, 4)}, {}, "has shape (9, 4)"),
    ({"latent_prior.scale_tril": torch.full((10, 4, 4), float("nan"))}, {}, "NaN or infinite"),
    ({"latent_prior.scale_tril": torch.ones(10, 4, 4)}, {}, "must be lower-triangular"),
    ({"latent_prior.scale_tril": -torch.eye(4).repeat(10, 1, 1)}, {}, "positive diagonal"),
    ({"latent_prior.weights": -torch.ones(10)}, {}, "weights must be >= 0"),
    ({"latent_prior.weights": torch.zeros(10)}, {}, "not all 0"),
    ({"latent_prior.extra": torch.zeros(1)}, {}, "unknown latent prior tensor"),
    ({"latent_prior.means": None, "latent_prior.scale_tril": None, "latent_prior.weights": None}, {},
     "the weights lack latent_prior.means"),
    ({}, {"latent_prior": None}, "config.json names no latent_prior"),
]


@pytest.mark.parametrize(("tensors", "config", "message"), HOSTILE)
def test_a_broken_prior_is_refused_with_what_to_do(tmp_path, tensors, config, message):
    folder = factories.tiny_prior_vae(tmp_path, tensors=tensors, config=config)
    with pytest.raises(ModelLoadError) as caught:
        loaded(folder)
    assert message in caught.value.message and str(folder) in caught.value.message
    assert "noisescope fit-prior" in caught.value.message


@pytest.mark.parametrize(("config", "message"), [
    ({"latent_prior": "mixture"}, "latent_prior must be 'class_gaussians'"),
    ({"labels": None}, "needs labels"),
])
def test_config_json_is_checked_before_the_weights(tmp_path, config, message):
    folder = factories.tiny_prior_vae(tmp_path, config=config)
    with pytest.raises(ModelLoadError, match=message):
        find_model(str(folder))


def test_only_a_vae_takes_a_latent_prior(tmp_path):
    folder = factories.tiny_gan(tmp_path)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "latent_prior": "class_gaussians"}))
    with pytest.raises(ModelLoadError, match="latent_prior is for a VAE"):
        find_model(str(folder))


# -- the recipe field --------------------------------------------------------------------------------------
def test_the_field_round_trips_through_json_a1111_text_and_the_cli(prior_vae, tmp_path, capsys):
    recipe = Recipe(model=str(prior_vae), seed=3, latent_prior="standard", device="cpu")
    assert Recipe.from_json(recipe.to_json()) == recipe
    assert "latent_prior" not in Recipe(model=str(prior_vae)).to_dict()  # the default: JSON as before
    text = a1111_parameters(recipe, 8, 8)
    assert "Latent prior: standard" in text and "Latent prior" not in a1111_parameters(recipe.replace(
        latent_prior="fitted"), 8, 8)
    assert parse_a1111(text).fields["latent_prior"] == "standard"
    assert main(["generate", "--model", str(prior_vae), "--latent-prior", "standard", "--seed", "3", "--device",
                 "cpu", "--out", str(tmp_path)]) == 0
    png = next(tmp_path.glob("*.png"))
    restored = read_recipe(png).recipe()
    assert restored.latent_prior == "standard"
    with Image.open(png) as image:
        assert np.array_equal(np.asarray(image), finished_images(recipe)[0][..., 0])
    with pytest.raises(InvalidRecipe, match="not one of fitted, standard"):
        Recipe(latent_prior="uniform")


def test_standard_with_a_label_says_why_not(prior_vae, tiny_models):
    info = find_model(str(prior_vae))
    with pytest.raises(InvalidRecipe, match="whose decoder takes no class"):
        Recipe(model=str(prior_vae), latent_prior="standard", label="3").check_against_model(info)
    # a model without a fitted prior has one way to sample: the field means nothing there
    gan = find_model(str(tiny_models["gan"]))
    assert Recipe(model=str(gan.source), latent_prior="standard", label="3").check_against_model(
        gan).latent_prior == "fitted"


def test_the_form_row_applies_to_models_with_a_fitted_prior_only(prior_vae, tiny_models):
    from engine.recipe_fields import field

    row = field("latent_prior")
    assert row.applies(find_model(str(prior_vae)), None)
    assert not any(row.applies(find_model(str(tiny_models[name])), None) for name in ("vae", "gan", "diffusion"))
    assert row.cli_flag == "--latent-prior" and row.choices == ("fitted", "standard")


# -- what else looks at a VAE with labels ----------------------------------------------------------------------
def test_the_latent_map_decodes_a_prior_vae_without_a_label(prior_vae):
    from engine.latent_map.make import decode_latents, make_plane

    model = loaded(prior_vae)
    plane = make_plane(model, "random", seed=1)
    assert plane.label is None  # the labels pick a Gaussian; a map places z itself
    z = np.zeros((1, 4), np.float32)
    assert np.array_equal(decode_latents(model, z), decode_latents(model, z, "3"))


def test_the_families_account_says_where_z_comes_from(prior_vae):
    info = find_model(str(prior_vae))
    labelled = what_it_did(info, Recipe(model=str(prior_vae), label="3"), None)
    assert "fitted to its encoded training 3s" in labelled and "takes no label" in labelled
    free = what_it_did(info, Recipe(model=str(prior_vae)), None)
    assert "a class drawn by its share of the training digits" in free
    plain = what_it_did(info, Recipe(model=str(prior_vae), latent_prior="standard"), None)
    assert "N(0, I), the standard prior" in plain
