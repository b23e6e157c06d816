"""Every sampler draws the asked digit from the bundled diffusion model, judged by the bundled
digit classifier: guards the schedule settings (a sampler starting from sigma ~20,000 gave
saturated noise; DDIM with x0 clipping and guidance lost the asked class)."""

import numpy as np
import pytest

from engine import Recipe
from engine.model_cache import ModelCache
from engine.samplers import SAMPLERS
from engine.training.classifier import load_classifier, predict
from tests.engine.helpers import finished_images

CACHE = ModelCache()


@pytest.fixture(scope="module")
def classifier():
    return load_classifier()


@pytest.mark.parametrize("sampler", list(SAMPLERS))
def test_every_sampler_draws_the_asked_digit(classifier, sampler):
    steps = 25 if sampler == "ddpm" else 10  # DDPM is the ancestral sampler that needs more steps
    recipe = Recipe(model="digits-diffusion", sampler=sampler, steps=steps, batch=4, seed=1, label="5",
                    device="cpu")
    images = finished_images(recipe, cache=CACHE, previews=False)
    probabilities = predict(classifier, images[..., 0])
    recognised = (probabilities.argmax(1) == 5).mean()
    assert recognised >= 3 / 4, f"{sampler}: only {recognised:.0%} read as 5"


def test_deterministic_samplers_agree_on_the_same_seed():
    # Different ODE solvers from the same noise should reach nearly the same picture.
    def sample(sampler):
        recipe = Recipe(model="digits-diffusion", sampler=sampler, steps=10, batch=3, seed=4, device="cpu")
        return finished_images(recipe, cache=CACHE, previews=False).astype(float)

    reference = sample("dpmpp_2m")
    for sampler in ("ddim", "euler", "unipc"):
        assert np.abs(sample(sampler) - reference).mean() < 12, sampler
