"""Restoring recipes: our PNGs in full, A1111 PNGs field by field with the rest listed."""

import time

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from engine import Recipe
from engine.conditioning import ClassLabel, TextPrompt
from engine.errors import ExportError, InvalidRecipe
from engine.export.a1111 import settings_pairs
from engine.export.png import a1111_parameters, save_png
from engine.export.restore import parse_a1111, read_recipe

A1111 = """masterpiece, a lighthouse at dusk, (oil painting:1.2)
Negative prompt: blurry, lowres
Steps: 28, Sampler: Euler a, Schedule type: Karras, CFG scale: 6.5, Seed: 1234567890, Size: 512x768, \
Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Clip skip: 2, Denoising strength: 0.45, \
Hires upscale: 2, Hires upscaler: Latent, Lora hashes: "detail: 0123abcd, style: 4567ef01", Eta: 0.3, \
Version: v1.10.1"""


def _png_with_text(path, **chunks):
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    Image.new("L", (4, 4)).save(path, pnginfo=info)
    return path


def test_our_png_restores_the_whole_recipe(tmp_path):
    recipe = Recipe(model="digits-diffusion", family="diffusion", sampler="ddim", steps=12, seed=99, batch=4,
                    guidance=5.0, eta=0.5, label="7")
    path = save_png(np.zeros((8, 8, 1), np.uint8), tmp_path / "ours.png", recipe, sample_index=2, model_hash="abc")
    restored = read_recipe(path)
    assert restored.source == "noisescope" and restored.unmapped == ()
    # issue 12: the PNG is sample 2 (Batch pos): its own seed is named, and its Model hash is kept
    assert restored.recipe() == recipe and restored.sample == 2
    assert restored.model_hash == "abc" and "sample 2 of a batch of 4: its own seed is 101" in restored.notes[0]
    assert "from a Noisescope file" in restored.message()
    grid = save_png(np.zeros((8, 8, 1), np.uint8), tmp_path / "grid.png", recipe, sample_index=None)
    assert read_recipe(grid).recipe() == recipe and read_recipe(grid).sample is None  # the whole batch


def test_a1111_fields_that_map_and_those_that_do_not():
    restored = parse_a1111(A1111)
    assert restored.source == "a1111"
    # issue 9: the prompt and negative prompt lines restore as a TextPrompt
    fields = dict(restored.fields)
    assert fields.pop("conditioning") == TextPrompt("masterpiece, a lighthouse at dusk, (oil painting:1.2)",
                                                    "blurry, lowres")
    assert fields == {"steps": 28, "sampler": "euler_a", "schedule": "default", "guidance": 6.5,
                               "seed": 1234567890, "width": 512, "height": 768, "model": "v1-5-pruned-emaonly",
                               "eta": 0.3}
    assert restored.model_hash == "6ce0161689"
    unmapped = dict(restored.unmapped)
    assert unmapped["Clip skip"] == "2" and unmapped["Hires upscale"] == "2"
    assert unmapped["Schedule type"] == "Karras"  # diffusers' Euler a has no Karras schedule
    assert any("Euler a takes no Karras" in note for note in restored.notes)
    assert unmapped["Lora hashes"] == "detail: 0123abcd, style: 4567ef01"  # quoted commas stay together
    assert set(unmapped) == {"Schedule type", "Clip skip",
                             "Denoising strength", "Hires upscale", "Hires upscaler", "Lora hashes", "Version"}
    message = restored.message()
    assert "restored conditioning, " in message and "not restored: Clip skip" in message


def test_a1111_values_apply_over_a_base_recipe():
    base = Recipe(model="digits-diffusion", batch=3, label="2")
    recipe = parse_a1111("a cat\nSteps: 20, Sampler: DDIM, CFG scale: 4, Seed: 5, Eta: 0.25").recipe(base)
    assert (recipe.steps, recipe.sampler, recipe.guidance, recipe.seed, recipe.eta) == (20, "ddim", 4.0, 5, 0.25)
    assert recipe.model == "digits-diffusion" and recipe.batch == 3 and recipe.conditioning == TextPrompt("a cat")
    assert parse_a1111("class 4\nSteps: 20").recipe(base).label == "4"
    # issue 12: an "unconditional" prompt line clears the label
    assert parse_a1111("unconditional\nSteps: 20").recipe(base).label is None


def test_unknown_sampler_is_listed_not_guessed():
    restored = parse_a1111("Steps: 10, Sampler: DPM++ 2M SDE Heun, Seed: 1")
    assert "sampler" not in restored.fields
    assert ("Sampler", "DPM++ 2M SDE Heun") in restored.unmapped and restored.notes


def test_our_own_a1111_line_round_trips_the_label():
    recipe = Recipe(model="digits-diffusion", sampler="heun", steps=9, seed=40, batch=2, label="3")
    restored = parse_a1111(a1111_parameters(recipe, 28, 28, "0011223344", sample_index=1))
    assert restored.fields == {"conditioning": ClassLabel("3"), "steps": 9, "sampler": "heun", "schedule": "default",
                               "seed": 41, "width": 28, "height": 28, "model": "digits-diffusion", "batch": 2}
    assert restored.unmapped == () and restored.sample == 1


def test_schedule_type_is_written_as_a1111_does_and_read_back():
    recipe = Recipe(model="digits-diffusion", sampler="dpmpp_2m", schedule="karras", steps=9, seed=40,
                    guidance=4.5, label="3")
    text = a1111_parameters(recipe, 32, 32)
    assert "Steps: 9, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 4.5, Seed: 40, Size: 32x32" in text
    assert parse_a1111(text).recipe(Recipe(device="cpu")) == recipe.replace(device="cpu", width=32, height=32)
    assert "Schedule type" not in a1111_parameters(recipe.replace(schedule="default"), 32, 32)
    assert Recipe.from_json(recipe.to_json()).schedule == "karras"


def test_older_a1111_sampler_names_carry_the_schedule():
    restored = parse_a1111("Steps: 20, Sampler: DPM++ 2M Karras, Seed: 1")
    assert (restored.fields["sampler"], restored.fields["schedule"]) == ("dpmpp_2m", "karras")
    assert parse_a1111("Steps: 20, Sampler: Euler, Schedule type: Exponential").fields["schedule"] == "exponential"
    unknown = parse_a1111("Steps: 20, Sampler: Euler, Schedule type: Align Your Steps")
    assert ("Schedule type", "Align Your Steps") in unknown.unmapped and unknown.fields["schedule"] == "default"


@pytest.mark.parametrize("tail", [
    "a" * 1_000_000,  # no colon: the old expression retried its key at every character
    'x: "' + "a" * 1_000_000,  # an unclosed quote
    'x: "' + "\\a" * 500_000 + '"',  # escapes all the way
    "a: 1, " * 170_000,  # many pairs
    ", " * 500_000,
])
def test_a_huge_parameters_chunk_parses_in_linear_time(tail):
    # issue 12: `_PAIR` took minutes on 1 MB (quadratic backtracking); the scanner is linear.
    began = time.perf_counter()
    restored = parse_a1111("class 3\nSteps: 7, " + tail)
    assert time.perf_counter() - began < 3.0  # ~0.5 s on an idle core; the old expression took hours
    assert restored.fields["steps"] == 7


def test_quoted_values_keep_their_commas_and_escaped_quotes():
    pairs = settings_pairs('Steps: 1, A: "x\\" y, z", B: 2, C: "open')
    assert pairs == [("Steps", "1"), ("A", 'x" y, z'), ("B", "2"), ("C", "open")]


def test_png_from_another_tool(tmp_path):
    path = _png_with_text(tmp_path / "a1111.png", parameters=A1111)
    restored = read_recipe(path)
    assert restored.source == "a1111" and restored.fields["steps"] == 28


def test_files_without_a_recipe(tmp_path):
    with pytest.raises(ExportError, match="carries no recipe"):
        read_recipe(_png_with_text(tmp_path / "plain.png", Comment="hello"))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ExportError, match="not an image"):
        read_recipe(tmp_path / "notes.txt")
    with pytest.raises(InvalidRecipe, match="no `Steps:` line"):
        parse_a1111("just a prompt")
    with pytest.raises(InvalidRecipe):
        read_recipe(_png_with_text(tmp_path / "bad.png", noisescope_recipe='{"steps": -1}'))


def test_a_text_prompt_recipe_writes_and_reads_a1111_text():
    # issue 9: the prompt line and `Negative prompt:` as AUTOMATIC1111 writes them, Size from width/height
    recipe = Recipe(model="sd15", conditioning=TextPrompt("a cat, (oil painting:1.2)\nsoft light", "blurry, text"),
                    width=640, height=448, steps=20, seed=5, guidance=7.0, sampler="euler")
    text = a1111_parameters(recipe, 448, 640, "0123456789")
    assert text == ("a cat, (oil painting:1.2)\nsoft light\nNegative prompt: blurry, text\n"
                    "Steps: 20, Sampler: Euler, CFG scale: 7, Seed: 5, Size: 640x448, Model hash: 0123456789, "
                    "Model: sd15")
    restored = parse_a1111(text)
    assert restored.recipe(Recipe(device="cpu")) == recipe.replace(device="cpu")
    assert restored.unmapped == () and restored.model_hash == "0123456789"
    assert "Negative prompt" not in a1111_parameters(recipe.replace(prompt="a cat"), 448, 640)
    # our class-label prompt line stays as it was
    assert a1111_parameters(Recipe(model="digits-diffusion", label="7"), 32, 32).startswith("class 7\nSteps:")
