"""Interpolation between prompts on a text model (a tiny Stable Diffusion pipeline, no download):
keyframes are `generate` with each prompt, frames between mix the two prompts' encodings
linearly (on one seed, or with the seeds walked alongside), and every file says how."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.conditioning import TextPrompt, conditioning_from_dict, conditioning_to_dict
from engine.errors import InvalidRecipe
from engine.events import Finished
from engine.interpolate.plan import make_interpolation
from engine.interpolate.reading import read_interpolation
from engine.interpolate.runner import FrameDone, run_interpolation
from engine.recipe import Recipe
from engine.run import run
from tests.engine.test_cli import run_cli

CAT, DOG, SEA = "a red cat", "a blue dog on grass", "the sea at night"


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory) -> str:
    from tests.engine.tiny_sd import tiny_sd_folder

    return str(tiny_sd_folder(tmp_path_factory.mktemp("sd")))


def base(model: str) -> Recipe:
    return Recipe(model=model, prompt=CAT, negative_prompt="blurry", steps=2, sampler="DDIM", device="cpu",
                  width=32, height=32, seed=5)


def image(recipe: Recipe) -> np.ndarray:
    (final,) = [event for event in run(recipe) if isinstance(event, Finished)]
    return final.images[0]


def test_a_blend_is_kept_in_the_recipe_and_checked():
    blend = TextPrompt(CAT, "blurry", DOG, 0.25)
    assert conditioning_to_dict(blend) == {"kind": "text", "prompt": CAT, "negative": "blurry", "blend_to": DOG,
                                           "blend": 0.25}
    assert conditioning_from_dict(conditioning_to_dict(blend)) == blend
    assert conditioning_to_dict(TextPrompt(CAT)) == {"kind": "text", "prompt": CAT, "negative": ""}  # as before
    for bad, message in (((DOG, 1.5), "from 0 to 1"), ((DOG, 0.0), "needs both"), (("", 0.5), "needs both")):
        with pytest.raises(InvalidRecipe, match=message):
            TextPrompt(CAT, "", *bad)


def test_the_plan_walks_prompts_on_one_seed_or_one_seed_each():
    plan = make_interpolation(base("m"), (5,), 1, prompts=(CAT, DOG, SEA))
    assert [(f.recipe.seed, f.recipe.prompt, f.recipe.conditioning.blend_to, f.t) for f in plan.frames] == [
        (5, CAT, "", 0.0), (5, CAT, DOG, 0.5), (5, DOG, "", 0.0), (5, DOG, SEA, 0.5), (5, SEA, "", 0.0)]
    assert all(f.recipe.negative_prompt == "blurry" and f.recipe.variation_strength == 0 for f in plan.frames)
    walked = make_interpolation(base("m"), (5, 6), 1, prompts=(CAT, DOG))
    middle = walked.frames[1].recipe
    assert (middle.seed, middle.variation_seed, middle.variation_strength, middle.conditioning.blend) == (5, 6, 0.5, 0.5)
    assert walked.frames[-1].recipe.seed == 6 and "prompts 'a red cat' → 'a blue dog on grass'" in walked.describe()
    for seeds, prompts, message in (((5, 6, 7), (CAT, DOG), "one seed per prompt"), ((5,), (CAT,), "at least 2"),
                                    ((5,), (CAT, " "), "empty")):
        with pytest.raises(InvalidRecipe, match=message):
            make_interpolation(base("m"), seeds, 1, prompts=prompts)


@pytest.mark.slow  # building the tiny Stable Diffusion folder imports transformers (seconds on 2 cores)
def test_the_ends_are_generate_with_each_prompt_and_the_frames_between_mix_them(tiny_sd):
    plan = make_interpolation(base(tiny_sd), (5,), 1, prompts=(CAT, DOG))
    frames = [item.image for item in run_interpolation(plan) if isinstance(item, FrameDone)]
    assert len(frames) == 3
    np.testing.assert_array_equal(frames[0], image(base(tiny_sd)))
    np.testing.assert_array_equal(frames[-1], image(base(tiny_sd).replace(prompt=DOG, negative_prompt="blurry")))
    assert not np.array_equal(frames[1], frames[0]) and not np.array_equal(frames[1], frames[-1])
    # a blend of 1 is the second prompt's encoding exactly: the mix is of the encodings, nothing else changes
    fully = base(tiny_sd).replace(conditioning=TextPrompt(CAT, "blurry", DOG, 1.0))
    np.testing.assert_array_equal(image(fully), frames[-1])


@pytest.mark.slow
def test_cli_writes_the_prompts_walk_with_every_frames_recipe(capsys, tiny_sd, tmp_path):
    code, out, err = run_cli(capsys, "interpolate", "--model", tiny_sd, "--prompts", CAT, DOG, "--seeds", "5,6",
                             "--frames-between", "1", "--steps", "2", "--sampler", "DDIM", "--width", "32",
                             "--height", "32", "--device", "cpu", "--format", "gif", "--format", "webp",
                             "--format", "mp4", "--out", str(tmp_path))
    assert code == 0, err
    files = out.split()
    assert len(files) == 3 and all("prompts2-seeds5-6" in path for path in files)
    for path in files:
        interpolation = read_interpolation(path)
        assert interpolation.prompts == (CAT, DOG) and len(interpolation.frames) == 3
        middle = interpolation.frames[1].recipe
        assert middle.conditioning == TextPrompt(CAT, "", DOG, 0.5) and middle.variation_seed == 6
    code, shown, _ = run_cli(capsys, "show", files[0])
    assert code == 0 and f"frame 2: seed 5, variation seed 6, strength 0.5, prompt '{CAT}' blended 0.5 towards" in shown
    code, shown, _ = run_cli(capsys, "show", files[1], "--json")
    assert json.loads(shown)["interpolation"]["prompts"] == [CAT, DOG]


@pytest.mark.parametrize(("flags", "message"), [
    (["--prompts", CAT, DOG, "--prompt", SEA], "leave out --prompt"),
    (["--prompts", CAT, DOG, "--seeds", "1,2", "--seed", "3"], "leave out --seed"),
    (["--prompts", CAT, DOG, "--seeds", "1,2,3"], "one seed per prompt"),
    ([], "--seeds 1,2,3"),
])
def test_bad_prompt_walks_are_one_line_and_exit_2(capsys, tiny_models, tmp_path, flags, message):
    code, out, err = run_cli(capsys, "interpolate", "--model", str(tiny_models["gan"]), *flags,
                             "--out", str(tmp_path / "out"))
    assert code == 2 and out == "" and message in err and "Traceback" not in err


def test_the_mix_is_a_lerp_of_every_text_input_and_leaves_what_the_prompts_share():
    import torch

    from engine.pipelines.text_conditioning import TextConditioning, lerp_conditioning

    negative = torch.randn(1, 4, 8, dtype=torch.float16)
    a = TextConditioning(torch.cat([negative, torch.randn(1, 4, 8, dtype=torch.float16)]),
                         {"text_embeds": torch.zeros(2, 3), "time_ids": torch.ones(2, 6)})
    b = TextConditioning(torch.cat([negative, torch.randn(1, 4, 8, dtype=torch.float16)]),
                         {"text_embeds": torch.ones(2, 3), "time_ids": torch.ones(2, 6)})
    mixed = lerp_conditioning(a, b, 0.25)
    expected = a.embeddings.float() + 0.25 * (b.embeddings.float() - a.embeddings.float())
    assert mixed.embeddings.dtype == torch.float16
    torch.testing.assert_close(mixed.embeddings.float(), expected, atol=1e-3, rtol=0)
    assert torch.equal(mixed.embeddings[0], negative[0])  # the negative half, the same in both, is untouched
    assert torch.equal(mixed.added["text_embeds"], torch.full((2, 3), 0.25))
    assert torch.equal(mixed.added["time_ids"], torch.ones(2, 6))
    assert torch.equal(lerp_conditioning(a, b, 1.0).embeddings, b.embeddings)  # the end is the second prompt


def test_a_blend_recipe_round_trips_and_other_recipes_keep_their_json():
    recipe = Recipe(model="m", conditioning=TextPrompt(CAT, "", DOG, 0.5), seed=3)
    assert Recipe.from_dict(json.loads(recipe.to_json())) == recipe
    assert "blend" not in Recipe(model="m", prompt=CAT).to_json()
