"""Image-to-image (A1111's img2img): an init image noised to the strength's step, then denoised for the
int(steps x strength) steps left; pixels equal diffusers' StableDiffusionImg2ImgPipeline; the recipe
names its image by path and hash and finds it again, or says what is missing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from engine import Recipe
from engine.errors import InvalidRecipe
from engine.events import Failed, Finished, Started, Step
from engine.export.a1111 import a1111_parameters, parse_a1111
from engine.init_image import InitImage, start_step
from engine.init_image_files import kept_dir
from engine.trajectory import Trajectory
from tests.engine.helpers import events_of, failure_of
from tests.engine.tiny_sd import tiny_sd_folder

WIDTH, HEIGHT = 48, 32


def digit_file(path, size=32, value=255):
    """A vertical bar (a "1"), white on black."""
    pixels = np.zeros((size, size), np.uint8)
    pixels[size // 6:-size // 6, size // 2 - size // 10:size // 2 + size // 10] = value
    Image.fromarray(pixels).save(path)
    return path


def picture_file(path, width=WIDTH, height=HEIGHT, seed=0):
    rng = np.random.default_rng(seed)
    gradient = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    pixels = np.clip(gradient + rng.normal(0, 30, (height, width, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path)
    return path


@pytest.mark.parametrize("steps, strength, runs", [(10, 0.6, 6), (30, 0.75, 22), (4, 1.0, 4), (5, 0.3, 1)])
def test_the_run_takes_int_steps_times_strength_steps(steps, strength, runs):
    assert steps - start_step(steps, strength) == runs


@pytest.fixture(scope="module")
def sd_folder(tmp_path_factory):
    return tiny_sd_folder(tmp_path_factory.mktemp("tiny-sd-img2img"))


@pytest.fixture(scope="module")
def img2img_pipe(sd_folder):
    from diffusers import StableDiffusionImg2ImgPipeline

    pipe = StableDiffusionImg2ImgPipeline.from_pretrained(sd_folder, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.mark.parametrize("sampler", ["ddim", "euler", "dpmpp_2m"])
def test_sd_img2img_pixels_equal_diffusers_img2img_pipeline(sd_folder, img2img_pipe, tmp_path, sampler):
    from engine.samplers import make_scheduler

    path = picture_file(tmp_path / "init.png")
    pipe = img2img_pipe
    pipe.scheduler = make_scheduler(sampler, dict(pipe.scheduler.config))
    theirs = pipe("a red cat", image=Image.open(path), strength=0.6, num_inference_steps=5, guidance_scale=6.0,
                  generator=torch.Generator("cpu").manual_seed(11), output_type="np").images
    recipe = Recipe(model=str(sd_folder), prompt="a red cat", width=WIDTH, height=HEIGHT, steps=5, guidance=6.0,
                    seed=11, device="cpu", sampler=sampler, init_image=InitImage.from_file(path), strength=0.6)
    events = events_of(recipe)
    assert isinstance(events[-1], Finished), events[-1]
    assert isinstance(events[0], Started) and events[0].total_steps == 3 == int(5 * 0.6)
    assert [e.index for e in events if isinstance(e, Step)] == [0, 1, 2]
    ours, theirs_uint8 = events[-1].images.astype(int), np.round(theirs * 255).astype(int)
    assert ours.shape == theirs_uint8.shape == (1, HEIGHT, WIDTH, 3)
    assert np.abs(ours - theirs_uint8).max() <= 2 and theirs_uint8.std() > 0
    plain = events_of(recipe.replace(init_image=None))[-1].images.astype(int)
    assert np.abs(plain - ours).max() > 10  # the init image made a difference


def test_sdxl_img2img_pixels_equal_diffusers_sdxl_img2img_pipeline(tmp_path):
    from diffusers import StableDiffusionXLImg2ImgPipeline

    from engine.samplers import make_scheduler
    from tests.engine.tiny_sd import tiny_sdxl_folder

    folder, path = tiny_sdxl_folder(tmp_path), picture_file(tmp_path / "init.png")
    pipe = StableDiffusionXLImg2ImgPipeline.from_pretrained(folder, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = make_scheduler("euler", dict(pipe.scheduler.config))
    theirs = pipe("a red cat", image=Image.open(path), strength=0.6, num_inference_steps=5, guidance_scale=6.0,
                  generator=torch.Generator("cpu").manual_seed(11), output_type="np").images
    recipe = Recipe(model=str(folder), prompt="a red cat", width=WIDTH, height=HEIGHT, steps=5, guidance=6.0,
                    seed=11, device="cpu", sampler="euler", init_image=InitImage.from_file(path), strength=0.6)
    ours = events_of(recipe)[-1].images.astype(int)
    assert np.abs(ours - np.round(theirs * 255).astype(int)).max() <= 2


def test_text_to_image_models_offer_the_init_image_and_strength(sd_folder):
    from engine.models.catalog import find_model
    from engine.recipe_fields import field

    info = find_model(str(sd_folder))
    assert field("init_image").applies(info, None)
    assert field("strength").applies(info, Recipe(init_image=InitImage("x.png", "0" * 64)))
    assert not field("strength").applies(info, Recipe())


def digits_recipe(path, **changes) -> Recipe:
    settings = dict(model="digits-diffusion", device="cpu", sampler="ddim", steps=6, seed=3,
                    init_image=InitImage.from_file(path), strength=0.3)
    return Recipe(**{**settings, **changes})


def test_digits_img2img_keeps_the_drawing_at_low_strength_and_redraws_it_at_full(tmp_path):
    drawing = np.asarray(Image.open(digit_file(tmp_path / "one.png"))).astype(float)
    low = events_of(digits_recipe(tmp_path / "one.png"))
    assert isinstance(low[0], Started) and low[0].total_steps == 1 and not low[0].notices
    full = events_of(digits_recipe(tmp_path / "one.png", strength=1.0))
    assert full[0].total_steps == 6
    kept, redrawn = low[-1].images[0, ..., 0].astype(float), full[-1].images[0, ..., 0].astype(float)
    assert np.abs(kept - drawing).mean() < 0.5 * np.abs(redrawn - drawing).mean()
    # the first step's x_t is the drawing plus noise, not noise alone
    first = next(e for e in low if isinstance(e, Step)).x_t[0, ..., 0].astype(float)
    assert np.corrcoef(first.ravel(), drawing.ravel())[0, 1] > 0.5


def test_an_init_image_of_another_size_is_resized_and_the_run_says_so(tmp_path):
    path = digit_file(tmp_path / "big.png", size=64)
    events = events_of(digits_recipe(path))
    assert isinstance(events[-1], Finished)
    assert events[0].notices == ("init image big.png is 64x64; it was resized to 32x32, the run's size",)
    trajectory = Trajectory()
    for event in events:
        trajectory.record(event)
    assert trajectory.notices == list(events[0].notices)
    mnist = events_of(digits_recipe(digit_file(tmp_path / "mnist.png", size=28)))
    assert isinstance(mnist[-1], Finished) and not mnist[0].notices  # 28x28 is padded to 32, as in training


def test_the_image_is_kept_by_hash_so_a_moved_file_is_still_found(tmp_path):
    path = digit_file(tmp_path / "one.png")
    recipe = digits_recipe(path)
    first = events_of(recipe)[-1].images
    assert list(kept_dir().glob(f"{recipe.init_image.sha256}.png"))
    path.unlink()
    assert np.array_equal(events_of(recipe)[-1].images, first)


def test_a_missing_or_changed_init_image_says_which_and_what_to_do(tmp_path):
    path = digit_file(tmp_path / "one.png")
    recipe = digits_recipe(path)
    digit_file(path, value=128)  # changed after the recipe was made, never kept
    assert "has changed since the recipe was made" in failure_of(recipe).message
    path.unlink()
    message = failure_of(recipe).message
    assert "one.png" in message and "is missing" in message and "pick another init image" in message


def test_bad_init_image_input_gets_clear_messages(tmp_path):
    with pytest.raises(InvalidRecipe, match="does not exist"):
        InitImage.from_file(tmp_path / "nope.png")
    (tmp_path / "notes.png").write_text("not a picture")
    assert "not an image that can be read" in failure_of(digits_recipe(tmp_path / "notes.png")).message
    path = digit_file(tmp_path / "one.png")
    assert "runs no step" in failure_of(digits_recipe(path, strength=0.1)).message
    failed = failure_of(digits_recipe(path, model="digits-vae"))
    assert isinstance(failed, Failed) and "takes no init image" in failed.message and "VAE" in failed.message


def test_the_recipe_carries_path_and_hash_and_a_plain_recipe_is_unchanged(tmp_path):
    recipe = digits_recipe(digit_file(tmp_path / "one.png"), strength=0.6)
    data = recipe.to_dict()
    assert data["init_image"] == {"path": str((tmp_path / "one.png").resolve()), "sha256": recipe.init_image.sha256}
    assert data["strength"] == 0.6 and Recipe.from_json(recipe.to_json()) == recipe
    assert "init_image" not in Recipe().to_dict() and "strength" not in Recipe().to_dict()
    assert "Denoising strength: 0.6" in a1111_parameters(recipe, 32, 32)
    # read back, an A1111 text has no init image: its strength alone (img2img's, or hires fix's) is not taken
    assert dict(parse_a1111(a1111_parameters(recipe, 32, 32)).unmapped)["Denoising strength"] == "0.6"
    assert "Denoising strength" not in a1111_parameters(Recipe(strength=0.5), 32, 32)


def test_a_branch_of_an_img2img_run_replays_it(tmp_path):
    from engine.branch import Branch

    parent = digits_recipe(digit_file(tmp_path / "one.png"), strength=0.5)
    parent_events = events_of(parent)
    child = parent.replace(branch=Branch(parent, 1))
    child_events = events_of(child)
    assert np.array_equal(child_events[-1].images, parent_events[-1].images)
    assert child_events[0].total_steps == parent_events[0].total_steps == 3


def test_cli_generate_init_image_writes_a_png_that_restores_whole_elsewhere(capsys, tmp_path):
    import json
    import shutil

    from engine.cli.main import main
    from engine.export.restore import read_recipe

    path = digit_file(tmp_path / "big.png", size=64)
    code = main(["generate", "--model", "digits-diffusion", "--init-image", str(path), "--strength", "0.5",
                 "--steps", "4", "--seed", "5", "--device", "cpu", "--out", str(tmp_path / "out"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "note: init image big.png is 64x64; it was resized to 32x32" in err
    png = json.loads(out)["images"][0]
    with Image.open(png) as picture:
        assert "Denoising strength: 0.5" in picture.text["parameters"]
        first = np.asarray(picture)
    path.unlink()  # another machine: neither the file nor the kept copy
    shutil.rmtree(kept_dir())
    restored = read_recipe(png).recipe()
    assert restored.init_image.sha256 == InitImage.from_value(json.loads(out)["recipe"]["init_image"]).sha256
    assert np.array_equal(events_of(restored)[-1].images[0, ..., 0], first)


def test_a_sample_of_an_img2img_batch_is_the_run_of_its_own_seed(tmp_path):
    path = digit_file(tmp_path / "one.png")
    batch = events_of(digits_recipe(path, batch=2, strength=0.5))[-1].images
    alone = events_of(digits_recipe(path, seed=4, strength=0.5))[-1].images
    assert np.array_equal(batch[1], alone[0]) and not np.array_equal(batch[0], batch[1])
