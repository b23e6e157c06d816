"""Variations as AUTOMATIC1111 defines them: a variation seed and a strength, the start noise
slerped from the seed's towards the variation seed's (engine/noise.py, engine/seeds.py)."""

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from engine.export.a1111 import a1111_parameters, parse_a1111
from engine.noise import slerp, start_noise
from engine.recipe import Recipe
from tests.engine.helpers import finished_images
from tests.engine.test_cli import run_cli


def _diffusion(tiny_models, **changes):
    base = dict(model=str(tiny_models["diffusion"]), sampler="ddim", steps=3, seed=3, label="4", device="cpu")
    return Recipe(**{**base, **changes})


def test_strength_0_is_the_plain_seed_bit_for_bit(tiny_models):
    plain = _diffusion(tiny_models)
    zero = plain.replace(variation_seed=11, variation_strength=0.0)
    assert torch.equal(start_noise(zero, (1, 8, 8))[1], start_noise(plain, (1, 8, 8))[1])
    assert np.array_equal(finished_images(zero), finished_images(plain))


def test_strength_1_is_the_variation_seeds_image(tiny_models):
    varied = _diffusion(tiny_models, variation_seed=11, variation_strength=1.0)
    assert torch.equal(start_noise(varied, (1, 8, 8))[1], start_noise(_diffusion(tiny_models, seed=11), (1, 8, 8))[1])
    # DDIM at eta 0 draws no noise after the start, so the picture is the variation seed's own.
    assert np.array_equal(finished_images(varied), finished_images(_diffusion(tiny_models, seed=11)))


def test_half_strength_lies_between_and_differs(tiny_models):
    seed_noise = start_noise(_diffusion(tiny_models), (1, 8, 8))[1][0]
    other_noise = start_noise(_diffusion(tiny_models, seed=11), (1, 8, 8))[1][0]
    half = start_noise(_diffusion(tiny_models, variation_seed=11, variation_strength=0.5), (1, 8, 8))[1][0]

    # Per column of H values (A1111 slerps along dim 1): at 0.5 the two are summed and scaled by
    # 1 / (2 cos(omega / 2)), so the noise keeps its size where a plain average would shrink it.
    cos = (seed_noise * other_noise).sum(1) / (seed_noise.norm(dim=1) * other_noise.norm(dim=1))
    scale = 2 * torch.cos(torch.acos(cos) / 2)
    assert torch.allclose(half, (seed_noise + other_noise) / scale.unsqueeze(1), atol=1e-5)
    assert half.norm() > 0.9 * (seed_noise.norm() + other_noise.norm()) / 2 > (seed_noise + other_noise).norm() / 2
    images = [finished_images(_diffusion(tiny_models, **changes)) for changes in
              ({}, {"variation_seed": 11, "variation_strength": 0.5}, {"seed": 11})]
    assert not np.array_equal(images[1], images[0]) and not np.array_equal(images[1], images[2])


def test_slerp_is_a1111s_including_near_parallel_vectors():
    low, high = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    assert torch.allclose(slerp(0.5, low, high), torch.tensor([[math.sqrt(0.5), math.sqrt(0.5)]]))
    assert torch.allclose(slerp(0.25, low, high), torch.tensor([[math.cos(math.pi / 8), math.sin(math.pi / 8)]]))
    nearly = torch.tensor([[1.0, 0.01]])  # cosine 0.99995 > 0.9995: A1111's linear branch, weights swapped
    assert torch.equal(slerp(0.25, low, nearly), low * 0.25 + nearly * 0.75)


def test_a_batch_keeps_the_seed_and_counts_up_the_variation_seed(tiny_models):
    batch = finished_images(_diffusion(tiny_models, batch=2, variation_seed=20, variation_strength=0.4))
    second = finished_images(_diffusion(tiny_models, variation_seed=21, variation_strength=0.4))
    assert np.array_equal(batch[1], second[0])


@pytest.mark.parametrize("family", ["vae", "gan"])
def test_vae_and_gan_slerp_their_latent(tiny_models, family):
    label = {"label": "2"} if family == "gan" else {}
    recipe = Recipe(model=str(tiny_models[family]), seed=5, device="cpu", **label)
    full = finished_images(recipe.replace(variation_seed=8, variation_strength=1.0))
    assert np.array_equal(full, finished_images(recipe.replace(seed=8)))
    half = finished_images(recipe.replace(variation_seed=8, variation_strength=0.5))
    assert not np.array_equal(half, full) and not np.array_equal(half, finished_images(recipe))


def test_a1111_text_round_trip():
    recipe = Recipe(model="digits", sampler="euler", steps=12, seed=5, batch=3, variation_seed=10,
                    variation_strength=0.3, label="7")
    text = a1111_parameters(recipe, 32, 32, sample_index=2)
    assert "Seed: 5," in text and "Variation seed: 12, Variation seed strength: 0.3" in text
    restored = parse_a1111(text).fields
    assert (restored["seed"], restored["variation_seed"], restored["variation_strength"]) == (5, 12, 0.3)
    plain = a1111_parameters(recipe.replace(variation_strength=0.0), 32, 32, sample_index=2)
    assert "Variation" not in plain and "Seed: 7," in plain


def test_a1111s_own_text_is_read():
    text = ("a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Variation seed: 2, "
            "Variation seed strength: 0.5")
    restored = parse_a1111(text)
    assert (restored.fields["variation_seed"], restored.fields["variation_strength"]) == (2, 0.5)
    assert not any(key.startswith("Variation") for key, _ in restored.unmapped)


def test_generate_takes_the_flags_and_names_each_variation(capsys, tiny_models, tmp_path):
    code, out, _ = run_cli(capsys, "generate", "--model", str(tiny_models["diffusion"]), "--steps", "2", "--seed", "4",
                           "--variation-seed", "9", "--variation-strength", "0.25", "--batch", "2", "--out",
                           str(tmp_path), "--json", "--device", "cpu", "--no-history")
    assert code == 0
    images = json.loads(out)["images"]
    assert len(set(images)) == 2 and images[1].endswith("-seed4-var10.png")
    parameters = Image.open(images[1]).text["parameters"]
    assert "Seed: 4," in parameters and "Variation seed: 10, Variation seed strength: 0.25" in parameters
    code, _, err = run_cli(capsys, "generate", "--model", str(tiny_models["diffusion"]), "--variation-strength",
                           "2", "--out", str(tmp_path))
    assert code == 2 and "variation_strength must be between 0 and 1, not 2" in err

