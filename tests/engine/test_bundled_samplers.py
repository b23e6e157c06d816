"""Every sampler draws the asked digit from the bundled diffusion model, judged by the bundled
digit classifier: guards the schedule settings (a sampler starting from sigma ~20,000 gave
saturated noise; DDIM with x0 clipping and guidance lost the asked class)."""

import numpy as np
import pytest

from engine import Failed, Recipe
from engine.model_cache import ModelCache
from engine.run import run
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


@pytest.mark.parametrize("schedule", ["karras", "exponential"])
def test_sigma_schedules_draw_the_asked_digit_and_change_the_pixels(classifier, schedule):
    def sample(schedule):
        recipe = Recipe(model="digits-diffusion", sampler="euler", schedule=schedule, steps=10, batch=4, seed=2,
                        label="3", device="cpu")
        return finished_images(recipe, cache=CACHE, previews=False)

    default, spaced, again = sample("default"), sample(schedule), sample(schedule)
    assert np.array_equal(spaced, again)  # still deterministic
    assert not np.array_equal(default, spaced)
    recognised = (predict(classifier, spaced[..., 0]).argmax(1) == 3).mean()
    assert recognised >= 3 / 4, f"Euler {schedule}: only {recognised:.0%} read as 3"


def test_a_schedule_that_repeats_timesteps_is_refused_before_the_run():
    # The cosine schedule's top sigma (~20,000) makes Karras spacing round many steps to t=998:
    # diffusers' multistep counter then overruns (IndexError mid-run before this check).
    recipe = Recipe(model="digits-diffusion", sampler="dpmpp_2m", schedule="karras", steps=10, label="3",
                    device="cpu")
    events = list(run(recipe, cache=CACHE, previews=False))
    assert isinstance(events[-1], Failed) and events[-1].kind == "invalid_recipe"
    assert "repeats timesteps" in events[-1].message and "Euler" in events[-1].message
    assert len(events) == 1  # refused before Started: nothing half-shown


def test_each_sampler_lists_exactly_the_schedules_its_diffusers_class_takes():
    import inspect

    import diffusers

    from engine.samplers import SCHEDULES, make_scheduler

    config = {"num_train_timesteps": 1000, "beta_schedule": "linear"}
    for spec in SAMPLERS.values():
        accepted = inspect.signature(getattr(diffusers, spec.scheduler_class).__init__).parameters
        takes = {s.id for s in SCHEDULES.values() if all(flag in accepted for flag in s.overrides)}
        assert set(spec.schedules) == takes, spec.id
        for schedule in spec.schedules:
            scheduler = make_scheduler(spec.id, config, schedule)
            for flag in SCHEDULES[schedule].overrides:
                assert scheduler.config[flag] is True
