"""Text-to-image (SD 1.x/2.x, SDXL diffusers folders): the engine's pixels are diffusers' pixels, every
UNet evaluation is a step with latent previews, and a run can be cancelled."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest
import torch

from engine import Recipe, run
from engine.events import Cancelled, Finished, Started, Step
from engine.models.catalog import find_model
from tests.engine.helpers import events_of
from tests.engine.tiny_sd import tiny_text_to_image_folders

PROMPT, NEGATIVE = "a red cat on a mat", "blurry"
WIDTH, HEIGHT = 48, 32  # not square, not the native 64: size handling is exercised


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return tiny_text_to_image_folders(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture(scope="module")
def diffusers_pipes(folders):
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    pipes = {}
    for kind, pipeline_class in (("sd", StableDiffusionPipeline), ("sdxl", StableDiffusionXLPipeline)):
        pipe = pipeline_class.from_pretrained(folders[kind], local_files_only=True)
        pipe.set_progress_bar_config(disable=True)
        pipes[kind] = pipe
    return pipes


def recipe_for(folder, **changes) -> Recipe:
    settings = dict(model=str(folder), prompt=PROMPT, negative_prompt=NEGATIVE, width=WIDTH, height=HEIGHT,
                    steps=4, guidance=6.0, seed=11, device="cpu")
    return Recipe(**{**settings, **changes})


def test_folders_are_described_without_loading_them(folders):
    sd, sdxl, v = (find_model(str(folders[k])) for k in ("sd", "sdxl", "sd-v"))
    for info in (sd, sdxl, v):
        assert (info.pipeline, info.takes_text, info.fixed_size, info.size_multiple) == ("text-to-image", True,
                                                                                         False, 8)
        assert (info.height, info.width, info.channels, info.default_guidance) == (64, 64, 3, 7.5)
        assert info.supports_guidance and info.parameters and info.to_dict()["conditioning"] == "text prompt"
    assert (sd.latent_space, sdxl.latent_space) == ("sd", "sdxl")
    assert (sd.prediction_type, v.prediction_type) == ("epsilon", "v_prediction")
    assert "SDXL" in sdxl.description and "v-prediction" in v.description


@pytest.mark.parametrize("kind", ["sd", "sdxl"])
@pytest.mark.parametrize("sampler", ["ddim", "euler", "dpmpp_2m"])
def test_final_pixels_equal_diffusers_pipeline(folders, diffusers_pipes, kind, sampler):
    from engine.samplers import make_scheduler

    pipe = diffusers_pipes[kind]
    pipe.scheduler = make_scheduler(sampler, dict(pipe.scheduler.config))  # the same sampler, from the folder's config
    theirs = pipe(PROMPT, negative_prompt=NEGATIVE, width=WIDTH, height=HEIGHT, num_inference_steps=4,
                  guidance_scale=6.0, generator=torch.Generator("cpu").manual_seed(11), output_type="np").images
    events = events_of(recipe_for(folders[kind], sampler=sampler))
    assert isinstance(events[-1], Finished), events[-1]
    ours = events[-1].images
    theirs_uint8 = np.round(theirs * 255).astype(int)
    assert ours.shape == theirs_uint8.shape == (1, HEIGHT, WIDTH, 3)
    assert np.abs(ours.astype(int) - theirs_uint8).max() <= 2
    assert theirs_uint8.std() > 0  # a flat image would match anything


def test_every_unet_evaluation_is_a_step_with_latent_previews(folders):
    events = events_of(recipe_for(folders["sd"], steps=3, batch=2))
    started, steps, finished = events[0], events[1:-1], events[-1]
    assert isinstance(started, Started) and started.total_steps == 3
    assert started.image_shape == (HEIGHT, WIDTH, 3)
    assert [s.index for s in steps] == [0, 1, 2] and all(isinstance(s, Step) for s in steps)
    step = steps[0]
    assert step.x_t.shape == step.x0.shape == (2, HEIGHT // 8, WIDTH // 8, 3)  # latent resolution, RGB
    assert step.noise.shape == (2, HEIGHT // 4, WIDTH // 4, 1)  # the four latent channels, 2 x 2
    assert isinstance(finished, Finished) and finished.images.shape == (2, HEIGHT, WIDTH, 3)
    assert not np.array_equal(steps[0].x0, steps[-1].x0)  # the views follow the run


def test_a_sample_does_not_change_with_the_batch_size(folders):
    alone = events_of(recipe_for(folders["sd"], seed=12, steps=2, batch=1))[-1].images
    second = events_of(recipe_for(folders["sd"], seed=11, steps=2, batch=2))[-1].images[1]
    assert np.array_equal(alone[0], second)


def test_a_v_prediction_folder_runs_and_the_prompt_matters(folders):
    cat = events_of(recipe_for(folders["sd-v"], sampler="euler", steps=3))
    dog = events_of(recipe_for(folders["sd-v"], sampler="euler", steps=3, prompt="a dog"))
    assert isinstance(cat[-1], Finished) and isinstance(dog[-1], Finished)
    assert not np.array_equal(cat[-1].images, dog[-1].images)


def test_guidance_defaults_to_7_5(folders):
    info = find_model(str(folders["sd"]))
    assert Recipe(model=str(folders["sd"]), prompt="x").check_against_model(info).guidance == 7.5


def test_cancel_stops_at_the_next_step(folders):
    cancel = threading.Event()
    events = []
    for event in run(recipe_for(folders["sdxl"], steps=5), cancel):
        events.append(event)
        if isinstance(event, Step):
            cancel.set()
    assert isinstance(events[-1], Cancelled) and events[-1].at_step == 1
    assert sum(isinstance(e, Step) for e in events) == 1


def test_a_prompt_over_77_tokens_is_truncated_with_a_warning(folders, caplog):
    long_prompt = "cat " * 40  # each character is a token in the tiny vocabulary: ~160 tokens
    with caplog.at_level(logging.WARNING, logger="engine.pipelines.text_conditioning"):
        events = events_of(recipe_for(folders["sd"], prompt=long_prompt, steps=1))
    assert isinstance(events[-1], Finished)
    assert any("the prompt is" in r.message and "truncated" in r.message for r in caplog.records)


def test_a_variation_slerps_the_start_latents(folders):
    """A1111's variation seed and strength (tests/engine/test_variations.py) on a latent model."""
    recipe = recipe_for(folders["sd"], sampler="ddim", steps=2, seed=3)
    plain, other = (events_of(r)[-1].images for r in (recipe, recipe.replace(seed=9)))
    assert np.array_equal(events_of(recipe.replace(variation_seed=9, variation_strength=1.0))[-1].images, other)
    half = events_of(recipe.replace(variation_seed=9, variation_strength=0.5))[-1].images
    assert not np.array_equal(half, plain) and not np.array_equal(half, other)
