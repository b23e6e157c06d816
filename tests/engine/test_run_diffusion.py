"""The denoising loop's event stream: order, shapes, determinism, batch invariance, cancel."""

import threading

import numpy as np
import pytest
import torch

from engine import Recipe, run
from engine.events import Cancelled, Failed, Finished, Started, Step
from engine.samplers import SAMPLERS
from tests.engine.helpers import events_of, finished_images


def recipe_for(models, **changes) -> Recipe:
    return Recipe(**{"model": str(models["diffusion"]), "device": "cpu", "steps": 4, **changes})


def test_a_run_streams_started_then_every_step_in_order_then_finished(tiny_models):
    events = events_of(recipe_for(tiny_models, batch=2, sampler="ddim"))
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    steps = [e for e in events if isinstance(e, Step)]
    assert [s.index for s in steps] == [0, 1, 2, 3]
    assert events[0].total_steps == 4 and all(s.total == 4 for s in steps)
    assert events[0].image_shape == (8, 8, 1)
    sigmas = [s.sigma for s in steps]
    assert sigmas == sorted(sigmas, reverse=True) and sigmas[-1] > 0
    timesteps = [s.timestep for s in steps]
    assert timesteps == sorted(timesteps, reverse=True)
    for step in steps:
        for view in (step.x_t, step.x0, step.noise):
            assert view.shape == (2, 8, 8, 1) and view.dtype == np.uint8
            assert not view.flags.writeable
    assert events[-1].images.shape == (2, 8, 8, 1)
    assert events[-1].recipe.family == "diffusion"


def test_same_recipe_same_pixels_and_seed_matters(tiny_models):
    recipe = recipe_for(tiny_models, sampler="euler_a", seed=11, batch=2)
    first, second = finished_images(recipe), finished_images(recipe)
    assert np.array_equal(first, second)
    assert not np.array_equal(first, finished_images(recipe.replace(seed=12)))


@pytest.mark.parametrize("sampler", ["ddpm", "euler_a", "dpmpp_2m"])
def test_a_sample_does_not_change_with_batch_size(tiny_models, sampler):
    batch = finished_images(recipe_for(tiny_models, sampler=sampler, seed=100, batch=3))
    for index in range(3):
        alone = finished_images(recipe_for(tiny_models, sampler=sampler, seed=100 + index, batch=1))
        difference = np.abs(batch[index].astype(int) - alone[0].astype(int))
        assert difference.max() <= 1, f"sample {index} differs by {difference.max()} levels"


@pytest.mark.parametrize("sampler", list(SAMPLERS))
def test_every_sampler_finishes_with_a_non_constant_image(tiny_models, sampler):
    events = events_of(recipe_for(tiny_models, sampler=sampler, batch=2))
    assert isinstance(events[-1], Finished), events[-1]
    steps = [e for e in events if isinstance(e, Step)]
    assert len(steps) == events[0].total_steps >= 4
    assert events[-1].images.std() > 0


def test_cancel_takes_effect_at_the_next_step(tiny_models):
    cancel = threading.Event()
    seen = []
    for event in run(recipe_for(tiny_models, steps=10), cancel):
        seen.append(event)
        if isinstance(event, Step) and event.index == 2:
            cancel.set()
    assert [type(e) for e in seen[-2:]] == [Step, Cancelled]
    assert seen[-1].at_step == 3
    assert not any(isinstance(e, Finished) for e in seen)


def first_noise_prediction(recipe: Recipe) -> np.ndarray:
    return next(e for e in events_of(recipe) if isinstance(e, Step)).noise


def test_label_and_guidance_change_the_prediction(tiny_models):
    unconditional = first_noise_prediction(recipe_for(tiny_models, seed=3))
    three = first_noise_prediction(recipe_for(tiny_models, seed=3, label="3"))
    strongly_three = first_noise_prediction(recipe_for(tiny_models, seed=3, label="3", guidance=9.0))
    assert not np.array_equal(unconditional, three)
    assert not np.array_equal(three, strongly_three)


def test_previews_decompose_the_sample_consistently(tiny_models):
    # x_t = sqrt(abar) x0 + sqrt(1 - abar) eps must hold for the previews (up to uint8 rounding and clamping).
    events = events_of(recipe_for(tiny_models, sampler="ddim", steps=4))
    step = [e for e in events if isinstance(e, Step)][-1]
    abar = 1 / (1 + step.sigma ** 2)
    x0 = step.x0.astype(float) / 127.5 - 1
    eps = (step.noise.astype(float) / 127.5 - 1) * 3
    x_t = step.x_t.astype(float) / 127.5 - 1
    inside = (np.abs(x_t) < 0.99) & (np.abs(x0) < 0.99) & (np.abs(eps) < 2.9)
    rebuilt = np.sqrt(abar) * x0 + np.sqrt(1 - abar) * eps
    assert inside.any()
    assert np.abs(rebuilt - x_t)[inside].max() < 0.05


@pytest.mark.parametrize("error", [torch.OutOfMemoryError("CUDA out of memory"),
                                   RuntimeError("[enforce fail at alloc_cpu.cpp:116] DefaultCPUAllocator: "
                                                "can't allocate memory: you tried to allocate 68719476736 bytes")])
def test_out_of_memory_is_a_message_and_the_next_run_works(tiny_models, monkeypatch, error):
    from engine.model_cache import ModelCache

    cache = ModelCache()
    recipe = recipe_for(tiny_models, batch=3)
    assert isinstance(events_of(recipe, cache=cache)[-1], Finished)
    model = cache.get(*_cache_key(tiny_models))
    healthy = model.unet.forward
    monkeypatch.setattr(model.unet, "forward", lambda *a, **k: (_ for _ in ()).throw(error))
    failed = events_of(recipe, cache=cache)[-1]
    assert failed.kind == "out_of_memory"
    for advice in ("smaller batch (now 3)", "image size", "fewer steps", "preview budget", "next run can start"):
        assert advice in failed.message
    monkeypatch.setattr(model.unet, "forward", healthy)
    assert isinstance(events_of(recipe, cache=cache)[-1], Finished)


def _cache_key(models):
    from engine.models.registry import find_model

    return find_model(str(models["diffusion"])), torch.device("cpu"), torch.float32


def test_out_of_memory_mid_run_frees_the_run_before_its_failure_arrives(tiny_models, monkeypatch):
    # The step's tensors live in the frames of the exception's traceback; they must be gone (and CUDA's
    # cache emptied) by the time the caller sees Failed, or the next run starts without that memory.
    import weakref

    from engine.model_cache import ModelCache

    cache = ModelCache()
    recipe = recipe_for(tiny_models, batch=2, steps=4)
    assert isinstance(events_of(recipe, cache=cache)[-1], Finished)
    model = cache.get(*_cache_key(tiny_models))
    healthy, calls, held = model.unet.forward, [], []

    def forward(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # once, mid-run
            work = torch.zeros(1 << 20)  # stands in for a step's activations
            held.append(weakref.ref(work))
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return healthy(*args, **kwargs)

    monkeypatch.setattr(model.unet, "forward", forward)
    kinds = []
    for event in run(recipe, cache=cache):
        kinds.append(type(event).__name__)
        if isinstance(event, Failed):
            assert held[0]() is None, "the failed step's tensors are still alive when Failed arrives"
            assert "out of memory on cpu" in event.message
    assert kinds == ["Started", "Step", "Step", "Failed"]
    assert isinstance(events_of(recipe, cache=cache)[-1], Finished)  # the patched forward now works again
