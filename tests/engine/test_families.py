"""VAE and GAN sample through the same run() and yield the same kinds of events."""

import numpy as np
import pytest

from engine import Recipe
from engine.events import Finished, Started, Step
from tests.engine.helpers import events_of, failure_of, finished_images


@pytest.mark.parametrize("family", ["vae", "gan"])
def test_one_step_then_finished(tiny_models, family):
    events = events_of(Recipe(model=str(tiny_models[family]), batch=3, device="cpu"))
    assert [type(e) for e in events] == [Started, Step, Finished]
    started, step, finished = events
    assert started.total_steps == 1 and started.recipe.family == family
    assert started.recipe.steps == 1 and started.recipe.sampler == "none"
    assert step.noise is None and step.x0.shape == (3, 8, 8, 1)
    assert np.array_equal(step.x0, finished.images)
    assert finished.images.std() > 0


@pytest.mark.parametrize("family", ["vae", "gan"])
def test_seeded_and_batch_invariant(tiny_models, family):
    recipe = Recipe(model=str(tiny_models[family]), batch=3, seed=40, device="cpu")
    batch = finished_images(recipe)
    assert np.array_equal(batch, finished_images(recipe))
    alone = finished_images(recipe.replace(seed=41, batch=1))
    assert np.abs(batch[1].astype(int) - alone[0].astype(int)).max() <= 1


def test_gan_label_selects_the_class(tiny_models):
    recipe = Recipe(model=str(tiny_models["gan"]), seed=5, device="cpu")
    assert not np.array_equal(finished_images(recipe.replace(label="1")), finished_images(recipe.replace(label="7")))


def test_vae_has_no_labels(tiny_models):
    failure = failure_of(Recipe(model=str(tiny_models["vae"]), label="1", device="cpu"))
    assert failure.kind == "invalid_recipe" and "has no class labels" in failure.message
