"""Autoguidance (engine/autoguidance.py): a diffusion model guided by a weaker version of itself,
guide + w (model - guide), on tiny UNets: the arithmetic, the defaults a recipe resolves to, the
guides refused, old recipes that still remake their images, the memory estimate, branches, sweeps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import Recipe
from engine.diffusion_loop import _predict
from engine.errors import InvalidRecipe, ModelLoadError
from engine.events import Finished, Step
from engine.memory import ACTIVATION_BYTES_PER_VALUE, BYTES_PER_PARAMETER, estimate, too_large
from engine.model_cache import ModelCache
from engine.models import find_model
from engine.models.info import ModelInfo
from engine.models.registry import load_model
from engine.sweep.axes import parse_axis
from engine.sweep.plan import make_plan
from tests.engine.helpers import events_of, failure_of, finished_images
from tests.factories import DIGITS, SCHEDULER, TINY_UNET, _seeded

BASE = {"device": "cpu", "steps": 4, "batch": 2, "seed": 3}


def tiny(folder: Path, name: str, seed: int, **config) -> Path:
    """A tiny labelled UNet (null label 10) from its own seed: two seeds, two different models."""
    from diffusers import UNet2DModel

    from engine.models.bundled_writer import save_bundled

    unet_config = dict(TINY_UNET, num_class_embeds=11, **config.pop("unet", {}))
    unet = _seeded(lambda: UNet2DModel.from_config(unet_config), seed)
    with torch.no_grad():
        unet.class_embedding.weight.mul_(3)
    side = unet_config["sample_size"]
    return save_bundled(folder / name, {
        "name": name, "family": "diffusion", "architecture": "UNet2DModel", "architecture_config": unet_config,
        "height": side, "width": side, "channels": 1, "labels": DIGITS, "null_label": 10, "scheduler": SCHEDULER,
        **config}, unet, half=False)


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    """(model, guide): the model names the guide as its default, w 2.5."""
    folder = tmp_path_factory.mktemp("autoguide")
    guide = tiny(folder, "tiny-early", seed=1)
    model = tiny(folder, "tiny-late", seed=2, default_guide={"model": str(guide), "guidance": 2.5})
    return model, guide


def test_a_guided_step_is_guide_plus_w_times_model_minus_guide(pair):
    model, guide = (load_model(find_model(str(path)), torch.device("cpu"), torch.float32) for path in pair)
    x = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    t, labels = torch.tensor(500), torch.tensor([3, 10])
    with torch.inference_mode():
        output, halves = _predict(model, x, t, labels, 2.5, guide)
        own = model.unet(x, t, class_labels=labels).sample
        weak = guide.unet(x, t, class_labels=labels).sample
    assert not torch.allclose(own, weak, atol=1e-3)  # two different models
    torch.testing.assert_close(output, weak + 2.5 * (own - weak))
    assert halves is not None
    torch.testing.assert_close(halves[0], own)
    torch.testing.assert_close(halves[1], weak)


def test_a_no_label_run_is_autoguided_by_default_and_shows_model_and_guide(pair):
    model, guide = pair
    events = events_of(Recipe(model=str(model), **BASE))
    assert isinstance(events[-1], Finished), events[-1]
    resolved = events[-1].recipe
    assert (resolved.guide_model, resolved.guidance) == (str(guide), 2.5)  # exactly what ran
    steps = [e for e in events if isinstance(e, Step)]
    assert all(s.noise_cond is not None and s.noise_uncond is not None for s in steps)
    assert not np.array_equal(steps[-1].noise_cond, steps[-1].noise_uncond)  # model and guide differ


def test_w_1_is_the_model_alone_and_w_0_the_guide_alone(pair):
    model, guide = pair
    alone = finished_images(Recipe(model=str(model), guide_model="none", **BASE))
    assert np.array_equal(finished_images(Recipe(model=str(model), guidance=1.0, **BASE)), alone)
    weak = finished_images(Recipe(model=str(guide), guide_model="none", **BASE))
    assert np.array_equal(finished_images(Recipe(model=str(model), guidance=0.0, **BASE)), weak)
    guided = finished_images(Recipe(model=str(model), **BASE))
    assert not np.array_equal(guided, alone) and not np.array_equal(guided, weak)


def test_guided_runs_are_reproducible_and_the_label_goes_to_both(pair):
    model, guide = pair
    recipe = Recipe(model=str(model), guide_model=str(guide), guidance=2.0, label="7", **BASE)
    first = finished_images(recipe)
    assert np.array_equal(first, finished_images(recipe))
    assert not np.array_equal(first, finished_images(recipe.replace(label="2")))
    cfg = events_of(recipe.replace(guide_model=None))  # unset with a label: classifier-free guidance
    assert cfg[-1].recipe.guide_model == "none" and not np.array_equal(cfg[-1].images, first)


def test_the_default_guide_applies_only_without_a_label(pair):
    model, guide = pair
    info = find_model(str(model))
    assert (info.default_guide, info.default_guide_guidance) == (str(guide), 2.5)
    free = Recipe(model=str(model)).check_against_model(info)
    assert (free.guide_model, free.guidance) == (str(guide), 2.5)
    assert Recipe(model=str(model), guidance=4.0).check_against_model(info).guidance == 4.0
    labelled = Recipe(model=str(model), label="5").check_against_model(info)
    assert (labelled.guide_model, labelled.guidance) == ("none", 3.0)  # CFG at its default
    off = Recipe(model=str(model), guide_model="None").check_against_model(info)
    assert (off.guide_model, off.guidance) == ("none", None)
    with pytest.raises(InvalidRecipe, match="needs a class label .*or a guide model"):
        Recipe(model=str(model), guide_model="none", guidance=2.0).check_against_model(info)
    vae = find_model("digits-vae")
    assert Recipe(model="digits-vae").check_against_model(vae).guide_model is None
    assert "guide_model" not in Recipe(model="digits-vae").check_against_model(vae).to_dict()


def test_a_recipe_written_before_guides_remakes_its_image(pair):
    """Version 2 had no guide_model: such a recipe ran the model alone, and must again, though the
    model now has a default guide (an unset guide in a version 3 recipe takes it)."""
    model, _ = pair
    old = {"noisescope_recipe": 2, "model": str(model), "conditioning": {"kind": "none"}, "sampler": "dpmpp_2m",
           "schedule": "default", "steps": 4, "guidance": None, "seed": 3, "variation_seed": 0,
           "variation_strength": 0.0, "batch": 2, "eta": 0.0, "width": None, "height": None, "device": "cpu"}
    recipe = Recipe.from_json(json.dumps(old))
    assert recipe.guide_model == "none"
    assert np.array_equal(finished_images(recipe), finished_images(Recipe(model=str(model), guide_model="none",
                                                                          **BASE)))
    current = Recipe.from_dict({**old, "noisescope_recipe": 3})  # written now: unset means the default guide
    assert current.guide_model is None
    assert not np.array_equal(finished_images(current), finished_images(recipe))


def test_incompatible_guides_are_refused_with_what_differs(pair, tiny_models, tmp_path):
    model, guide = pair
    big = tiny(tmp_path, "tiny-16", seed=1, unet={"sample_size": 16})
    v_pred = tiny(tmp_path, "tiny-v", seed=1, scheduler={**SCHEDULER, "prediction_type": "v_prediction"})
    short = tiny(tmp_path, "tiny-500", seed=1, scheduler={**SCHEDULER, "num_train_timesteps": 500})
    cases = {
        str(model): "a model cannot guide itself: pick a weaker checkpoint",
        str(big): "makes 16x16x1 images and tiny-late 8x8x1",
        str(tiny_models["unconditional"]): "has labels none and tiny-late 10",
        str(tiny_models["vae"]): "is a vae model; a guide must be a pixel diffusion model",
        str(short): "trained with 500 timesteps and tiny-late with 1000",
        str(v_pred): "predicts v_prediction and tiny-late epsilon",
        str(tmp_path / "nowhere"): "guide model: ",
    }
    for guide_path, message in cases.items():
        failed = failure_of(Recipe(model=str(model), guide_model=guide_path, **BASE))
        assert message in failed.message, (guide_path, failed.message)
    with pytest.raises(InvalidRecipe, match="guide itself"):
        Recipe(model=str(model), guide_model=str(model)).check_against_model(find_model(str(model)))


def test_text_to_image_and_one_pass_models_refuse_a_guide():
    text = ModelInfo(name="sd", family="diffusion", format="diffusers", source="/x", origin="path", height=512,
                     width=512, channels=3, takes_text=True, supports_guidance=True)
    with pytest.raises(InvalidRecipe, match="not yet with text-to-image"):
        Recipe(model="sd", prompt="a cat", guide_model="digits-diffusion-early").check_against_model(text)
    assert Recipe(model="sd", prompt="a cat", guide_model="none").check_against_model(text).guide_model is None
    with pytest.raises(InvalidRecipe, match="digits-gan is a gan model"):
        Recipe(model="digits-gan", guide_model="digits-diffusion-early").check_against_model(find_model("digits-gan"))


def test_a_config_default_guide_is_checked(tmp_path):
    for index, (bad, message) in enumerate((({"model": "x"}, "must be an object with model and guidance"),
                                            ({"model": "", "guidance": 2}, "must name a model"),
                                            ({"model": "tiny-bad", "guidance": 2}, "cannot guide itself"),
                                            ({"model": "x", "guidance": "2"}, "must be a number from 0 to 30"))):
        folder = tiny(tmp_path / str(index), "tiny-bad", seed=1, default_guide=bad)
        with pytest.raises(ModelLoadError, match=message):
            find_model(str(folder))


def test_the_memory_estimate_counts_the_guide(pair):
    model, guide = (find_model(str(path)) for path in pair)
    recipe = Recipe(model=model.source, batch=4, steps=10).check_against_model(model)
    alone, guided = estimate(recipe, model), estimate(recipe, model, guide)
    assert guided.model_bytes == (model.parameters + guide.parameters) * BYTES_PER_PARAMETER
    assert guided.activation_bytes == 2 * alone.activation_bytes == 2 * 4 * 8 * 8 * ACTIVATION_BYTES_PER_VALUE
    assert too_large(recipe, model, alone.run_bytes) is None
    assert "lower the batch size" in too_large(recipe, model, alone.run_bytes, guide)


def test_the_cache_holds_the_guide_beside_the_model(pair):
    cache = ModelCache()
    model, guide = (find_model(str(path)) for path in pair)
    loaded = cache.get(model, torch.device("cpu"), torch.float32)
    held = cache.guide(guide, torch.device("cpu"), torch.float32)
    assert held is cache.guide(guide, torch.device("cpu"), torch.float32) and held is not loaded
    assert cache.get(model, torch.device("cpu"), torch.float32) is loaded
    assert cache.guide(None, torch.device("cpu"), torch.float32) is None  # a run without one drops it


def test_a_guided_run_branches_onto_the_same_guide(pair):
    from engine.branch import Branch

    model, guide = pair
    parent = events_of(Recipe(model=str(model), **BASE))[-1]
    unchanged = events_of(parent.recipe.replace(branch=Branch(parent.recipe, 2)))[-1]
    assert isinstance(unchanged, Finished) and np.array_equal(unchanged.images, parent.images)
    changed = events_of(Recipe(model=str(model), guidance=0.0, **BASE, branch=Branch(parent.recipe, 1)))
    assert isinstance(changed[-1], Finished) and changed[-1].recipe.guide_model == str(guide)  # unset: the parent's
    last = [e for e in changed if isinstance(e, Step)][-1]  # w 0 from step 1: the guide's own prediction
    assert np.array_equal(last.noise, last.noise_uncond) and not np.array_equal(last.noise, last.noise_cond)
    with pytest.raises(InvalidRecipe, match="a branch keeps its parent's guide_model"):
        parent.recipe.replace(guide_model="none", branch=Branch(parent.recipe, 1))


def test_the_guide_model_is_a_sweep_axis(pair):
    model, guide = pair
    axis = parse_axis(f"guide-model=none,{guide}")
    assert axis.field == "guide_model" and axis.values == ("none", str(guide))
    assert axis.labels() == ["Guide model: none", "Guide model: tiny-early"]
    plan = make_plan(Recipe(model=str(model), **BASE), [axis])
    results = [events_of(cell.recipe)[-1] for cell in plan.cells]
    assert all(isinstance(r, Finished) for r in results)
    assert [r.recipe.guide_model for r in results] == ["none", str(guide)]
    assert not np.array_equal(results[0].images, results[1].images)



def test_the_guide_is_written_in_the_a1111_text_and_read_back(pair):
    from engine.export.a1111 import a1111_parameters, parse_a1111

    model, guide = pair
    resolved = Recipe(model=str(model), **BASE).check_against_model(find_model(str(model)))
    text = a1111_parameters(resolved, 8, 8)
    assert f"Guide model: {guide}" in text and "CFG scale: 2.5" in text
    assert parse_a1111(text).fields["guide_model"] == str(guide)
    assert parse_a1111(a1111_parameters(resolved.replace(guide_model="none", guidance=None), 8, 8)
                       ).fields["guide_model"] == "none"
