"""The engine side of the families view: which models, their runs (the sweep over model's rules),
each model's measured quality read from its card as it is now, and the plain account of each run."""

from __future__ import annotations

import re
import shutil

import pytest

from engine.errors import InvalidRecipe
from engine.families.account import timing_line, what_it_did
from engine.families.plan import pick_models, plan_families
from engine.families.quality import CARD_NAME, parse_figures, read_quality
from engine.kinds import Family
from engine.models.catalog import discover_models, find_model
from engine.paths import bundled_models_dir
from engine.recipe import Recipe
from engine.training.model_card import figures_block


def infos(tiny_models, *families):
    return {Family(family): find_model(str(tiny_models[family])) for family in families}


def test_one_run_per_family_on_the_same_label_and_seeds_and_the_vae_unconditional(tiny_models):
    base = Recipe(label="3", sampler="ddim", steps=7, guidance=5.0, variation_seed=9, variation_strength=0.5)
    plan = plan_families(base, infos(tiny_models, "diffusion", "vae", "gan"), first_seed=40, count=3)
    assert [run.family for run in plan.runs] == [Family.DIFFUSION, Family.VAE, Family.GAN]
    assert plan.seeds == (40, 41, 42)
    recipes = [run.recipe for run in plan.runs]
    assert [r.label for r in recipes] == ["3", None, "3"]
    assert all((r.seed, r.batch, r.variation_strength, r.guidance) == (40, 3, 0.0, None) for r in recipes)
    assert recipes[0].sampler == "ddim" and recipes[0].steps == 7
    assert plan.notes == ("tiny-vae has no class labels: its cells draw any digit, unconditionally",)


def test_plans_that_cannot_run_say_why(tiny_models):
    with pytest.raises(InvalidRecipe, match="at least two of diffusion, VAE and GAN; no vae, gan model"):
        plan_families(Recipe(), infos(tiny_models, "diffusion"), 0)
    with pytest.raises(InvalidRecipe, match="number of seeds must be 1 to"):
        plan_families(Recipe(), infos(tiny_models, "diffusion", "gan"), 0, count=0)
    with pytest.raises(InvalidRecipe, match=r"cell model=tiny-gan: model tiny-gan has no label 'x'"):
        plan_families(Recipe(label="x"), infos(tiny_models, "vae", "gan"), 0)


def test_the_models_picked_are_one_per_family_the_forms_first():
    models = discover_models()
    assert [info.name for info in pick_models(models).values()] == ["digits-diffusion", "digits-vae", "digits-gan"]
    unconditional = models[0].__class__(**{**models[0].__dict__, "name": "my-diffusion"})
    picked = pick_models([*models, unconditional], preferred=["my-diffusion"])
    assert picked[Family.DIFFUSION].name == "my-diffusion" and list(picked) == [Family.DIFFUSION, Family.VAE, Family.GAN]


def test_the_columns_draw_the_same_kind_of_image_not_colour_emoji_beside_digits():
    models = discover_models()
    emoji = find_model("twemoji-diffusion")
    assert emoji in models  # bundled, listed after the digits
    picked = pick_models(models, preferred=["twemoji-diffusion"])  # no emoji VAE or GAN: the digits trio
    assert [info.name for info in picked.values()] == ["digits-diffusion", "digits-vae", "digits-gan"]
    emoji_vae = models[0].__class__(**{**find_model("digits-vae").__dict__, "name": "emoji-vae", "channels": 3})
    picked = pick_models([*models, emoji_vae], preferred=["twemoji-diffusion"])  # two of a kind: that kind
    assert [info.name for info in picked.values()] == ["twemoji-diffusion", "emoji-vae"]
    assert pick_models([emoji]) == {Family.DIFFUSION: emoji}  # one alone: plan_families says what is missing


@pytest.mark.parametrize("name", ["digits-diffusion", "digits-vae", "digits-gan"])
def test_quality_is_read_from_the_bundled_card_as_it_is_now(name):
    folder = bundled_models_dir() / name
    card = (folder / CARD_NAME).read_text(encoding="utf-8")
    quality = read_quality(name, folder)
    assert quality is not None and quality.how.startswith(f"`noisescope evaluate {name}")
    free = re.search(r"^\| no label \| (\d+) \| ([\d.]+%) \|", card, re.MULTILINE)
    real = re.search(r"^\| real held-out digits \| \d+ \| ([\d.]+%) \|", card, re.MULTILINE)
    assert quality.figure("no label", "samples") == free.group(1)
    summary = quality.summary()
    assert f"(real digits: {real.group(1)})" in summary
    if "| label asked |" in card:
        asked = re.search(r"^\| label asked \| \d+ \| ([\d.]+%) \|", card, re.MULTILINE)
        assert summary.startswith(f"with a label {asked.group(1)} recognisable") and f"without, {free.group(2)}" in summary
    else:
        assert summary.startswith(f"{free.group(2)} recognisable")


def test_a_card_rewritten_by_evaluate_is_read_back_by_its_column_names():
    figures = {"samples": 200, "confident": 0.4321, "coverage": 9, "histogram": [20] * 10,
               "nearest_train_median": 5.5, "copies": 0.01}
    result = {"model": "m", "unconditional": figures, "real_reference": {**figures, "confident": 0.95},
              "conditional": {**figures, "confident": 0.9876, "label_accuracy": 0.5}}
    text = f"# m\n\n<!-- figures:start -->\n{figures_block(result, '`noisescope evaluate m` (200 samples):')}\n<!-- figures:end -->\n"
    quality = parse_figures("m", text)
    assert quality.figure("label asked", "label acc") == "50.0%" and quality.figure("no label", "cover") == "9/10"
    assert quality.summary() == "with a label 98.8% recognisable (50.0% the digit asked); without, 43.2% (real digits: 95.0%)"


def test_no_card_or_no_figures_is_none_never_an_error(tmp_path):
    assert read_quality("m", tmp_path) is None
    (tmp_path / CARD_NAME).write_text("# m\n\nno figures yet\n", encoding="utf-8")
    assert read_quality("m", tmp_path) is None
    (tmp_path / CARD_NAME).write_text("<!-- figures:start -->\n| only a header |\n<!-- figures:end -->\n")
    assert read_quality("m", tmp_path) is None
    folder = tmp_path / "card-is-a-folder"
    (folder / CARD_NAME).mkdir(parents=True)
    assert read_quality("m", folder) is None
    shutil.rmtree(folder)


def test_the_account_says_steps_or_one_decode_with_the_runs_own_times(tiny_models):
    models = infos(tiny_models, "diffusion", "vae", "gan")
    diffusion = Recipe(model="d", label="3", steps=20, sampler="dpmpp_2m", guidance=3.0, batch=4)
    assert what_it_did(models[Family.DIFFUSION], diffusion, 0.5) == (
        "20 denoising steps (DPM++ 2M, guidance 3: two network passes a step) from pure noise; each step removes "
        "part of the noise its network predicts: 500 ms for 4 samples (25 ms a step).")
    latent = models[Family.VAE].latent_dim
    assert what_it_did(models[Family.VAE], Recipe(model="v", batch=4), 0.004) == (
        f"One decode: a random {latent}-number vector z (no label: any digit) through its decoder, once: "
        "4 ms for 4 samples.")
    assert what_it_did(models[Family.GAN], Recipe(model="g", label="3", batch=1), None).endswith(
        "vector z and the label 3 through its generator, once.")
    runs = [(models[Family.DIFFUSION], diffusion, 0.5), (models[Family.VAE], Recipe(), 0.004),
            (models[Family.GAN], Recipe(), 0.002)]
    assert timing_line(runs) == "tiny-diffusion took 500 ms for 20 steps: 250x the 2 ms of tiny-gan's one decode."
    assert timing_line(runs[1:]) == ""
    assert timing_line([(models[Family.DIFFUSION], diffusion, 7.23), *runs[1:]]).startswith("tiny-diffusion took 7.2 s")
