import dataclasses
import json

import pytest

from engine.conditioning import ClassLabel, TextPrompt, Unconditional
from engine.errors import InvalidRecipe
from engine.models.info import ModelInfo
from engine.recipe import MAX_BATCH, Recipe
from engine.recipe_fields import A1111_KEYS, FIELDS, field

DIGITS = ModelInfo(name="digits", family="diffusion", format="noisescope", source="/x", origin="bundled",
                   height=32, width=32, channels=1, labels=tuple("0123456789"), supports_guidance=True)
UNCONDITIONAL = ModelInfo(name="faces", family="diffusion", format="diffusers", source="/y", origin="user",
                          height=32, width=32, channels=3)
VAE = ModelInfo(name="v", family="vae", format="noisescope", source="/z", origin="bundled",
                height=32, width=32, channels=1, latent_dim=16)


def test_defaults_are_valid_and_frozen():
    recipe = Recipe()
    with pytest.raises(AttributeError):
        recipe.steps = 3  # type: ignore[misc]


def test_json_round_trip_keeps_every_field():
    recipe = Recipe(model="digits", sampler="DDIM", steps=12, seed=7, batch=3, guidance=4.5, eta=0.5, label="3",
                    device="cpu")
    text = recipe.to_json()
    assert json.loads(text)["noisescope_recipe"] == 3
    assert json.loads(text)["conditioning"] == {"kind": "class", "label": "3"}
    assert Recipe.from_json(text) == recipe
    assert recipe.sampler == "ddim"  # display names resolve to ids


@pytest.mark.parametrize(("changes", "message"), [
    ({"steps": 0}, "steps must be between 1 and 1000, not 0"),
    ({"batch": 0}, f"batch must be between 1 and {MAX_BATCH}, not 0"),
    ({"batch": MAX_BATCH + 1}, "batch must be between"),
    ({"seed": -1}, "seed must be between 0"),
    ({"guidance": 31}, "guidance must be between 0 and 30"),
    ({"sampler": "plms"}, "unknown sampler 'plms'; known samplers: ddpm (DDPM), ddim (DDIM)"),
    ({"eta": 0.5, "sampler": "euler"}, "eta only applies to DDIM; Euler ignores it"),
    ({"steps": "ten"}, "steps must be int, not 'ten'"),
    ({"steps": True}, "steps must be int, not True"),
    ({"device": "tpu"}, "device 'tpu' is not one of auto, cpu, cuda, mps"),
    ({"model": " "}, "model is empty"),
    ({"family": "flow"}, "family 'flow' is not one of diffusion, vae, gan"),
])
def test_invalid_settings_say_what_is_wrong(changes, message):
    with pytest.raises(InvalidRecipe) as caught:
        Recipe(**changes)
    assert message in str(caught.value)


def test_from_json_rejects_unknown_fields_and_bad_json():
    with pytest.raises(InvalidRecipe, match="unknown recipe field.*prompt"):
        Recipe.from_dict({"model": "digits", "prompt": "a cat"})
    with pytest.raises(InvalidRecipe, match="not valid JSON"):
        Recipe.from_json("{nope")
    with pytest.raises(InvalidRecipe, match="version 9"):
        Recipe.from_dict({"noisescope_recipe": 9})


def test_check_against_model_names_the_allowed_labels():
    with pytest.raises(InvalidRecipe, match="no label '12'; its labels are 0, 1, 2"):
        Recipe(label="12").check_against_model(DIGITS)
    with pytest.raises(InvalidRecipe, match="faces has no class labels"):
        Recipe(label="1").check_against_model(UNCONDITIONAL)


def test_guidance_needs_a_label_on_a_guided_model():
    with pytest.raises(InvalidRecipe, match="guidance .* needs a class label"):
        Recipe(guidance=7).check_against_model(DIGITS)
    with pytest.raises(InvalidRecipe, match="not supported by faces"):
        Recipe(guidance=7).check_against_model(UNCONDITIONAL)
    assert Recipe(guidance=7, label="4").check_against_model(DIGITS).family == "diffusion"


def test_vae_recipes_become_one_decode_without_sampler():
    resolved = Recipe(model="v", steps=30, sampler="ddim").check_against_model(VAE)
    assert (resolved.family, resolved.steps, resolved.sampler) == ("vae", 1, "none")
    assert Recipe.from_json(resolved.to_json()) == resolved


SIZED = ModelInfo(name="sd", family="diffusion", format="diffusers", source="/s", origin="user",
                  height=512, width=512, channels=3, fixed_size=False)

V1_LABELLED = {"noisescope_recipe": 1, "batch": 2, "device": "cpu", "eta": 0.5, "family": "diffusion",
               "guidance": 5.5, "label": "7", "model": "digits-diffusion", "sampler": "ddim", "seed": 1234, "steps": 4}


def test_the_field_table_covers_every_recipe_field_in_order():
    # Fails when a field is added to Recipe but not to engine/recipe_fields.py (or the other way round).
    assert tuple(f.name for f in FIELDS) == tuple(f.name for f in dataclasses.fields(Recipe))
    for row in FIELDS:
        assert row.label and row.help, row.name
        assert row.check(row.default) == row.default, f"{row.name}: its default must pass its own check"
        assert row.default is None or row.from_text(row.to_text(row.default)) == row.default or row.name in (
            "conditioning", "family")
    assert field("schedule").a1111_key == "Schedule type" and A1111_KEYS["Eta DDIM"].name == "eta"
    with pytest.raises(KeyError, match="known: model"):
        field("nope")


def test_every_field_round_trips_through_its_text():
    recipe = Recipe(sampler="euler", schedule="karras", steps=12, seed=5, batch=3, guidance=4.5, width=64,
                    height=128, device="cuda:1", label="4")
    for row in FIELDS:
        value = getattr(recipe, row.name)
        if row.name not in ("family", "conditioning"):
            assert row.from_text(row.to_text(value)) == value, row.name
    assert field("conditioning").from_text("4") == recipe.conditioning  # --label 4
    assert field("guidance").from_text("default") is None


@pytest.mark.parametrize(("text", "message"), [
    ("ten", "steps must be a whole number, not 'ten'"), ("0", "steps must be between 1 and 1000, not 0"),
])
def test_text_that_is_not_a_value_says_so(text, message):
    with pytest.raises(InvalidRecipe, match=message):
        field("steps").from_text(text)


def test_conditioning_is_one_of_three_kinds_and_label_reads_it():
    assert Recipe().conditioning == Unconditional() and Recipe().label is None
    assert Recipe(label="3").conditioning == ClassLabel("3") and Recipe(label="3").label == "3"
    prompted = Recipe(prompt="a cat", negative_prompt="dogs")
    assert prompted.conditioning == TextPrompt("a cat", "dogs") and prompted.prompt == "a cat"
    assert Recipe(label="3").replace(label=None).conditioning == Unconditional()
    assert Recipe.from_json(prompted.to_json()) == prompted
    with pytest.raises(InvalidRecipe, match="not both"):
        Recipe(label="3", conditioning=Unconditional())
    with pytest.raises(InvalidRecipe, match="prompt is empty"):
        Recipe(prompt=" ")
    with pytest.raises(AttributeError):
        Recipe().label = "3"  # type: ignore[misc]  # read-only: the conditioning is the field


def test_a_text_prompt_is_refused_by_a_model_without_a_text_encoder():
    with pytest.raises(InvalidRecipe, match="digits takes no text prompt; pick a class label"):
        Recipe(prompt="a cat").check_against_model(DIGITS)


def test_unset_guidance_is_the_models_default_and_only_where_guided():
    assert Recipe().guidance is None
    assert Recipe(label="4").check_against_model(DIGITS).guidance == 3.0
    assert Recipe(label="4").check_against_model(dataclasses.replace(DIGITS, default_guidance=7.5)).guidance == 7.5
    assert Recipe().check_against_model(DIGITS).guidance is None  # no label: guidance does nothing
    assert Recipe(guidance=3.0).check_against_model(DIGITS).guidance is None  # v1's stand-in for unset
    assert Recipe(model="v").check_against_model(VAE).guidance is None


def test_size_is_ignored_by_fixed_size_models_and_checked_by_the_others():
    assert Recipe(width=64, height=64).check_against_model(DIGITS).width is None
    resolved = Recipe(width=768).check_against_model(SIZED)
    assert (resolved.width, resolved.height) == (768, 512)
    with pytest.raises(InvalidRecipe, match="width 500 does not fit sd: it must be a multiple of 8 .*496 or 504"):
        Recipe(width=500).check_against_model(SIZED)


def test_schedule_type_is_checked_against_the_sampler():
    assert Recipe(sampler="dpmpp_2m", schedule="Karras").schedule == "karras"
    assert Recipe(sampler="euler", schedule="exponential").schedule == "exponential"
    with pytest.raises(InvalidRecipe, match="Karras does not apply to DDIM; samplers that take it: DPM\\+\\+ 2M, Euler"):
        Recipe(sampler="ddim", schedule="karras")
    with pytest.raises(InvalidRecipe, match="unknown schedule type 'beta'; known schedule types: default, karras"):
        Recipe(schedule="beta")
    resolved = Recipe(model="v", sampler="euler", schedule="karras").check_against_model(VAE)
    assert (resolved.sampler, resolved.schedule) == ("none", "default")


def test_version_1_recipes_migrate():
    recipe = Recipe.from_dict(V1_LABELLED)
    assert recipe == Recipe(model="digits-diffusion", family="diffusion", sampler="ddim", steps=4, seed=1234,
                            batch=2, guidance=5.5, eta=0.5, label="7", device="cpu",
                            guide_model="none")  # written before autoguidance: it ran without a guide
    unlabelled = Recipe.from_dict({**V1_LABELLED, "label": None, "guidance": 3.0, "eta": 0.0})
    assert unlabelled.conditioning == Unconditional() and unlabelled.guidance is None  # 3 meant "unset"
    assert Recipe.from_dict({**V1_LABELLED, "guidance": 3.0}).guidance == 3.0  # with a label it was asked for
    assert Recipe.from_json(json.dumps(V1_LABELLED)).to_dict()["noisescope_recipe"] == 3
    with pytest.raises(InvalidRecipe, match="version 4 .* a newer Noisescope wrote it"):
        Recipe.from_dict({**V1_LABELLED, "noisescope_recipe": 4})
