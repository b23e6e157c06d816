import json

import pytest

from engine.errors import InvalidRecipe
from engine.models.info import ModelInfo
from engine.recipe import MAX_BATCH, Recipe

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
    assert json.loads(text)["noisescope_recipe"] == 1
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
