"""Latent maps: planes through a VAE's or GAN's latent space, their decodes, and the seed plane."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine import Recipe
from engine.errors import InvalidRecipe
from engine.events import Finished, Step
from engine.export.a1111 import a1111_parameters, parse_a1111
from engine.latent_map import (
    LatentPlane,
    SeedPlane,
    grid_coordinates,
    grid_latents,
    off_plane,
    point,
    project,
    random_plane,
)
from engine.latent_map.principal import pca_plane, regression_plane
from engine.latent_map.seed_map import SeedSquare, point_recipe, preview_recipe
from engine.model_cache import ModelCache
from engine.models.catalog import find_model
from tests.engine.helpers import events_of, finished_images

_cache = ModelCache()


def bundled(name: str):
    return _cache.get(find_model(name), torch.device("cpu"), torch.float32)


def whole_run(recipe: Recipe) -> np.ndarray:
    """Every step's noisy sample and the final images, as one array: equal runs, equal arrays."""
    events = events_of(recipe)
    assert isinstance(events[-1], Finished), events[-1]
    return np.concatenate([*(e.x_t for e in events if isinstance(e, Step)), events[-1].images])


def orthonormal(plane: LatentPlane) -> bool:
    return np.allclose(plane.axes @ plane.axes.T, np.eye(2), atol=1e-9)


# -- planes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [2, 16, 64])
def test_random_planes_are_orthonormal_and_follow_their_seed(dim):
    plane = random_plane(dim, seed=5)
    assert orthonormal(plane)
    assert np.array_equal(plane.axes, random_plane(dim, seed=5).axes)
    assert not np.allclose(plane.axes, random_plane(dim, seed=6).axes)
    assert np.array_equal(plane.origin, np.zeros(dim))


def test_project_inverts_point_and_measures_what_lies_off_the_plane():
    plane = random_plane(16, seed=1)
    for u, v in [(0.0, 0.0), (0.5, -0.25), (-1.0, 1.0), (1.7, -2.0)]:
        z = point(plane, u, v)
        assert project(plane, z) == pytest.approx((u, v), abs=1e-12)
        assert off_plane(plane, z) == pytest.approx(0.0, abs=1e-12)
    normal = np.random.default_rng(0).standard_normal(16)
    normal -= plane.axes.T @ (plane.axes @ normal)  # a direction the plane does not contain
    z = point(plane, 0.3, 0.6) + 2.0 * normal / np.linalg.norm(normal)
    assert project(plane, z) == pytest.approx((0.3, 0.6), abs=1e-12)
    assert off_plane(plane, z) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="does not fit"):
        project(plane, np.zeros(8))


def test_grid_runs_row_by_row_from_the_top_left():
    coordinates = grid_coordinates(3)
    assert coordinates[0].tolist() == [-1.0, 1.0] and coordinates[2].tolist() == [1.0, 1.0]
    assert coordinates[-1].tolist() == [1.0, -1.0]
    with pytest.raises(InvalidRecipe, match="2 to 33 cells"):
        grid_coordinates(1)


def test_pca_plane_finds_the_directions_of_most_variance():
    rng = np.random.default_rng(0)
    hidden = np.zeros((2, 8))
    hidden[0, 3], hidden[1, 5] = 1.0, 1.0
    latents = rng.standard_normal((4000, 2)) * [5.0, 3.0] @ hidden + 0.1 * rng.standard_normal((4000, 8)) + 7.0
    plane = pca_plane(latents)
    assert orthonormal(plane)
    assert np.abs(plane.axes @ hidden.T) == pytest.approx(np.eye(2), abs=0.05)
    assert plane.origin == pytest.approx(np.full(8, 7.0), abs=0.2)
    assert plane.extent == pytest.approx((2.5 * 5.0, 2.5 * 3.0), rel=0.05)


def test_regression_plane_finds_the_latent_directions_that_move_the_image():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((1000, 6))
    images = np.stack([np.outer(z[:, 4] * 3, np.ones(10)), np.outer(z[:, 1], np.ones(10))], 1).reshape(1000, -1)
    plane = regression_plane(z, images, label="3")
    assert orthonormal(plane) and plane.label == "3"
    assert abs(plane.axes[0, 4]) > 0.99 and abs(plane.axes[1, 1]) > 0.99


# -- decoding the bundled models ------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "label"), [("vae", None), ("gan", "3")])
def test_the_decoded_grid_equals_decoding_each_latent_alone(name, label, tiny_models):
    from engine.latent_map.make import decode_grid, decode_latents, make_plane

    model = bundled(str(tiny_models[name]))
    plane = make_plane(model, "random", seed=2, label=label)
    grid = decode_grid(model, plane, 5)
    assert grid.shape == (25, 8, 8, 1) and grid.dtype == np.uint8
    alone = np.concatenate([decode_latents(model, z[None], label) for z in grid_latents(plane, 5)])
    assert np.array_equal(grid, alone)
    assert len({cell.tobytes() for cell in grid}) == 25  # the plane moves the picture


def test_a_cell_is_the_picture_generate_makes_from_the_same_latent():
    from engine.latent_map.make import decode_latents

    model = bundled("digits-vae")
    noise = torch.randn((1, 16), generator=torch.Generator("cpu").manual_seed(11))
    # the standard prior: z is the seed's noise itself
    plain = Recipe(model="digits-vae", seed=11, latent_prior="standard")
    assert np.array_equal(decode_latents(model, noise.numpy())[0], finished_images(plain)[0])
    # the fitted prior: z is that noise in the asked class's Gaussian; the map decodes it, no label needed
    assert model.prior is not None
    z = model.prior.sample(noise, torch.tensor([3]))
    fitted = finished_images(Recipe(model="digits-vae", seed=11, label="3"))[0]
    assert np.array_equal(decode_latents(model, z.numpy())[0], fitted)
    assert np.array_equal(decode_latents(model, z.numpy(), "3")[0], fitted)  # a VAE decode ignores a label


def test_the_vae_principal_plane_is_the_pca_of_its_encoded_training_digits():
    from engine.latent_map.make import make_plane

    plane = make_plane(bundled("digits-vae"), "principal", digits=500)
    assert plane.kind == "principal" and orthonormal(plane)
    assert "500 encoded training digits" in plane.note
    assert not np.allclose(plane.origin, 0.0)  # through the data's mean, not the prior's centre
    assert plane.spread[0] >= plane.spread[1] > 0


def test_the_gan_gets_a_plane_per_class_and_needs_its_class(tiny_models):
    from engine.latent_map.make import decode_grid, make_plane

    gan = bundled(str(tiny_models["gan"]))
    threes, sevens = (make_plane(gan, "principal", label=label, draws=256) for label in ("3", "7"))
    assert orthonormal(threes) and orthonormal(sevens)
    assert threes.label == "3" and not np.allclose(np.abs(threes.axes @ sevens.axes.T), np.eye(2), atol=0.05)
    random3, random7 = make_plane(gan, "random", 4, "3"), make_plane(gan, "random", 4, "7")
    assert np.array_equal(random3.axes, random7.axes)  # the same directions, decoded as another class
    assert not np.array_equal(decode_grid(gan, random3, 3), decode_grid(gan, random7, 3))
    with pytest.raises(InvalidRecipe, match="one class at a time: pick one of 0, 1"):
        make_plane(gan, "random", 0, None)
    with pytest.raises(InvalidRecipe, match="not 'x'"):
        make_plane(gan, "random", 0, "x")


# -- the seed plane (diffusion) ----------------------------------------------------------------------------
def test_blended_noise_is_renormalised_to_unit_variance():
    from engine.latent_map.seed_noise import blend_noise, seed_noise

    shape = (1, 64, 64)
    centre = blend_noise(SeedPlane((2, 3, 4), 0.5, 0.5), 1, 0, shape)
    plain = sum(seed_noise(seed, shape) * 0.25 for seed in (1, 2, 3, 4))
    assert torch.allclose(centre, plain / 0.5)  # divided by sqrt(4 * 0.25^2)
    assert float(plain.std()) == pytest.approx(0.5, abs=0.03)  # what a plain blend would give the model
    assert float(centre.std()) == pytest.approx(1.0, abs=0.03)
    edge = blend_noise(SeedPlane((2, 3, 4), 0.5, 0.0), 1, 0, shape)
    assert torch.allclose(edge, (seed_noise(1, shape) + seed_noise(2, shape)) * 0.5 / np.sqrt(0.5))
    assert torch.equal(blend_noise(SeedPlane((2, 3, 4), 1.0, 1.0), 1, 0, shape), seed_noise(4, shape))


@pytest.mark.parametrize("sampler", ["dpmpp_2m", "euler_a"])
def test_the_seed_planes_corners_are_the_corner_seeds_runs(sampler, tiny_models):
    base = Recipe(model=str(tiny_models["diffusion"]), sampler=sampler, steps=3, label="5")
    square = SeedSquare.from_seed(40)
    corners = {(-1, -1): 40, (1, -1): 41, (-1, 1): 42, (1, 1): 43}
    for (u, v), seed in corners.items():
        on_plane = whole_run(point_recipe(base, square, u, v))
        plain = whole_run(base.replace(seed=seed))
        if sampler == "euler_a" and seed != 40:  # its per-step noise is the recipe's seed's (40), as for variations
            assert np.array_equal(on_plane[0], plain[0])  # the start noise is the corner seed's
        else:
            assert np.array_equal(on_plane, plain), (u, v)
    middle = whole_run(point_recipe(base, square, 0.0, 0.0))
    assert np.array_equal(middle, whole_run(Recipe.from_json(point_recipe(base, square, 0.0, 0.0).to_json())))
    assert not any(np.array_equal(middle, whole_run(base.replace(seed=s))) for s in (40, 43))


def test_a_batch_on_the_seed_plane_moves_every_corner_seed_along():
    from engine.noise import start_noise

    recipe = Recipe(seed=10, batch=2, seed_plane=SeedPlane((20, 30, 40), 0.25, 0.75))
    _, noise = start_noise(recipe, (1, 8, 8))
    _, second = start_noise(Recipe(seed=11, seed_plane=SeedPlane((21, 31, 41), 0.25, 0.75)), (1, 8, 8))
    assert torch.equal(noise[1], second[0])


def test_the_seed_plane_travels_in_json_a1111_text_and_on_the_command_line(tmp_path):
    from engine.cli.main import main

    recipe = Recipe(model="digits-diffusion", seed=7, steps=2, seed_plane="8, 9, 10 @ 0.25, 0.5")
    assert recipe.seed_plane == SeedPlane((8, 9, 10), 0.25, 0.5)
    assert Recipe.from_json(recipe.to_json()) == recipe
    assert "seed_plane" not in Recipe().to_dict()  # a plain recipe's JSON is as before
    text = a1111_parameters(recipe, 32, 32)
    assert 'Seed plane: "8, 9, 10 @ 0.25, 0.5"' in text
    assert parse_a1111(text).recipe().seed_plane == recipe.seed_plane
    assert preview_recipe(recipe).steps == 2
    from engine.export.restore import read_recipe

    assert main(["generate", "--model", "digits-diffusion", "--seed", "7", "--steps", "2", "--seed-plane",
                 "8, 9, 10 @ 0.25, 0.5", "--out", str(tmp_path), "--no-history"]) == 0
    written = read_recipe(next(tmp_path.glob("*.png"))).recipe()
    assert written.seed_plane == recipe.seed_plane and written.seed == 7


@pytest.mark.parametrize(("value", "message"), [
    ("1, 2 @ 0.5, 0.5", "written `S10, S01, S11 @ X, Y`"),
    ("1, 2, 3 @ 1.5, 0.5", "x and y from 0 to 1"),
    ({"seeds": [1, 2, -3], "x": 0, "y": 0}, "whole numbers from 0"),
])
def test_a_bad_seed_plane_says_what_is_wrong(value, message):
    with pytest.raises(InvalidRecipe, match=message):
        Recipe(seed_plane=value)


def test_a_seed_plane_and_a_variation_do_not_mix():
    with pytest.raises(InvalidRecipe, match="leave the variation strength at 0"):
        Recipe(seed_plane=SeedPlane((1, 2, 3), 0.5, 0.5), variation_strength=0.3)
