"""Files written by the release before recipe version 2 (tests/fixtures/v1, commit 672d349) still
restore their recipes: every export format, the A1111 text, and the history database."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import Recipe
from engine.conditioning import Unconditional
from engine.export.a1111 import parse_a1111
from engine.export.restore import read_recipe
from engine.history import History
from tests.engine.helpers import finished_images

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "v1"
# Written before autoguidance: they ran without a guide model, and read so (unset would now mean the default guide).
LABELLED = Recipe(model="digits-diffusion", family="diffusion", sampler="ddim", steps=4, seed=1234, batch=2,
                  guidance=5.5, eta=0.5, label="7", device="cpu", guide_model="none")
UNLABELLED = Recipe(model="digits-diffusion", family="diffusion", sampler="dpmpp_2m", steps=3, seed=42,
                    device="cpu", guide_model="none")


def _decoded(name: str) -> Recipe:
    return Recipe(model=name, family=name.removeprefix("digits-"), sampler="none", steps=1, seed=7, device="cpu",
                  guide_model="none")


EXPECTED = {
    "labelled-seed1234.png": LABELLED,
    "labelled-seed1235.png": LABELLED,
    "labelled-seed1234-grid.png": LABELLED,
    "labelled-seed1234-sheet-sample0.png": LABELLED,
    "labelled-seed1234-x_t-grid.gif": LABELLED,
    "labelled-seed1234-x_t-grid.apng": LABELLED,
    "labelled-seed1234-x_t-grid.webp": LABELLED,
    "labelled-seed1234-x_t-grid.mp4": LABELLED,
    "labelled-seed1234.trajectory.safetensors": LABELLED,
    "unlabelled-seed42.png": UNLABELLED,
    "digits-vae-seed7.png": _decoded("digits-vae"),
    "digits-gan-seed7.png": _decoded("digits-gan"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_v1_file_restores_its_recipe(name):
    restored = read_recipe(V1 / name)
    assert restored.source == "noisescope" and restored.unmapped == ()
    assert restored.recipe() == EXPECTED[name]


def test_v1_unlabelled_guidance_reads_as_unset():
    # v1 wrote guidance 3 on every run; without a label it only ever meant "the default".
    restored = read_recipe(V1 / "unlabelled-seed42.png").recipe()
    assert restored.conditioning == Unconditional() and restored.guidance is None


@pytest.mark.parametrize("name", ["labelled-seed1235.png", "unlabelled-seed42.png", "digits-gan-seed7.png"])
def test_v1_a1111_text_restores_what_it_names(name):
    with Image.open(V1 / name) as image:
        restored = parse_a1111(image.text["parameters"])
    expected = EXPECTED[name]
    recipe = restored.recipe(Recipe(device="cpu", batch=expected.batch))
    seed = expected.seed + (1 if name == "labelled-seed1235.png" else 0)
    if expected.family == "diffusion":
        if expected.label is None:  # v1 wrote `CFG scale: 3` on unguided runs too; it is taken and means nothing
            assert recipe.guidance == 3.0
            recipe = recipe.replace(guidance=None)
        # The text names no guide model (none existed): unset, the model's default. The file's own recipe
        # (test_every_v1_file_restores_its_recipe) says none, and is what a dropped file restores first.
        assert recipe.replace(family="diffusion", seed=expected.seed) == expected.replace(width=32, height=32,
                                                                                          guide_model=None)
        assert recipe.seed == seed
    else:
        # issue 12: the family a one-pass model writes as its Sampler reads back (no sampler, that family)
        assert restored.unmapped == () and (recipe.sampler, recipe.family) == ("none", expected.family)
        assert restored.model_hash == "abcdef0123" and recipe.model == expected.model


@pytest.mark.parametrize(("name", "index"), [("labelled-seed1235.png", 1), ("unlabelled-seed42.png", 0)])
def test_a_restored_v1_recipe_makes_the_same_pixels(name, index):
    """With the weights that made them (digits-diffusion at 13,000 steps, kept here since the bundled
    model was trained on): the same recipe on the same device gives the same pixels."""
    recipe = read_recipe(V1 / name).recipe()
    assert recipe.model == "digits-diffusion"
    images = finished_images(recipe.replace(model=str(V1 / "digits-diffusion-13k")), previews=False)
    with Image.open(V1 / name) as image:
        assert np.array_equal(images[index][..., 0], np.asarray(image))


def test_the_v1_history_database_reads_every_run(tmp_path):
    path = tmp_path / "history.sqlite3"
    shutil.copy(V1 / "history.sqlite3", path)  # opening migrates the schema: never touch the fixture itself
    with History(path) as history:
        runs = history.list_runs()
        assert [run.id for run in runs] == [4, 3, 2, 1]
        assert [run.recipe() for run in runs] == [_decoded("digits-gan"), _decoded("digits-vae"), UNLABELLED,
                                                  LABELLED]
        assert [run.starred for run in runs] == [True, False, False, False]
        assert runs[-1].model_hash == "abcdef0123" and runs[-1].sampler == "ddim"
