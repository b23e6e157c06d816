"""Diffusers folders load as they are, and our loop matches diffusers' own pipelines."""

import numpy as np
import torch

from engine import Recipe
from engine.models.registry import find_model
from tests.engine.helpers import finished_images


def test_a_save_pretrained_folder_is_listed_with_its_shape(tiny_models):
    info = find_model(str(tiny_models["diffusers"]))
    assert (info.format, info.family, info.height, info.channels) == ("diffusers", "diffusion", 8, 1)
    assert info.labels is None and info.parameters and info.parameters > 0


def test_ddim_matches_diffusers_ddim_pipeline(tiny_models):
    from diffusers import DDIMPipeline, DDIMScheduler, UNet2DModel

    folder = tiny_models["diffusers"]
    unet = UNet2DModel.from_pretrained(folder / "unet")
    scheduler = DDIMScheduler.from_pretrained(folder / "scheduler")
    pipeline = DDIMPipeline(unet=unet, scheduler=scheduler)
    pipeline.set_progress_bar_config(disable=True)
    theirs = pipeline(batch_size=1, generator=torch.Generator("cpu").manual_seed(21), num_inference_steps=6,
                      eta=0.0, output_type="np").images
    ours = finished_images(Recipe(model=str(folder), sampler="ddim", steps=6, seed=21, device="cpu"))
    theirs_uint8 = np.round(theirs * 255).astype(int)
    assert ours.shape == theirs_uint8.shape
    assert np.abs(ours.astype(int) - theirs_uint8).max() <= 1


def test_the_folder_scheduler_config_is_honoured(tiny_models):
    # The folder says squaredcos_cap_v2 and trailing spacing: every sampler built from it keeps that.
    from engine.models.registry import load_model
    from engine.samplers import SAMPLERS, make_scheduler

    model = load_model(find_model(str(tiny_models["diffusers"])), torch.device("cpu"), torch.float32)
    for sampler in SAMPLERS:
        scheduler = make_scheduler(sampler, model.scheduler_config)
        assert scheduler.config.beta_schedule == "squaredcos_cap_v2"
        assert scheduler.config.timestep_spacing == "trailing"
    assert make_scheduler("dpmpp_2m", model.scheduler_config).config.algorithm_type == "dpmsolver++"
