"""Restoring recipes: our PNGs in full, A1111 PNGs field by field with the rest listed."""

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from engine import Recipe
from engine.errors import ExportError, InvalidRecipe
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
    path = save_png(np.zeros((8, 8, 1), np.uint8), tmp_path / "ours.png", recipe, sample_index=2)
    restored = read_recipe(path)
    assert restored.source == "noisescope" and restored.unmapped == ()
    assert restored.recipe() == recipe
    assert "from a Noisescope file" in restored.message()


def test_a1111_fields_that_map_and_those_that_do_not():
    restored = parse_a1111(A1111)
    assert restored.source == "a1111"
    assert restored.fields == {"steps": 28, "sampler": "euler_a", "guidance": 6.5, "seed": 1234567890,
                               "model": "v1-5-pruned-emaonly", "eta": 0.3}
    assert restored.model_hash == "6ce0161689"
    unmapped = dict(restored.unmapped)
    assert unmapped["Prompt"] == "masterpiece, a lighthouse at dusk, (oil painting:1.2)"
    assert unmapped["Negative prompt"] == "blurry, lowres"
    assert unmapped["Clip skip"] == "2" and unmapped["Hires upscale"] == "2" and unmapped["Size"] == "512x768"
    assert unmapped["Lora hashes"] == "detail: 0123abcd, style: 4567ef01"  # quoted commas stay together
    assert set(unmapped) == {"Prompt", "Negative prompt", "Schedule type", "Size", "Clip skip",
                             "Denoising strength", "Hires upscale", "Hires upscaler", "Lora hashes", "Version"}
    message = restored.message()
    assert "not restored: Prompt, Negative prompt" in message and "Clip skip" in message


def test_a1111_values_apply_over_a_base_recipe():
    base = Recipe(model="digits-diffusion", batch=3, label="2")
    recipe = parse_a1111("a cat\nSteps: 20, Sampler: DDIM, CFG scale: 4, Seed: 5, Eta: 0.25").recipe(base)
    assert (recipe.steps, recipe.sampler, recipe.guidance, recipe.seed, recipe.eta) == (20, "ddim", 4.0, 5, 0.25)
    assert recipe.model == "digits-diffusion" and recipe.batch == 3 and recipe.label == "2"


def test_unknown_sampler_is_listed_not_guessed():
    restored = parse_a1111("Steps: 10, Sampler: DPM++ 2M SDE Heun, Seed: 1")
    assert "sampler" not in restored.fields
    assert ("Sampler", "DPM++ 2M SDE Heun") in restored.unmapped and restored.notes


def test_our_own_a1111_line_round_trips_the_label():
    recipe = Recipe(model="digits-diffusion", sampler="heun", steps=9, seed=40, batch=2, label="3")
    restored = parse_a1111(a1111_parameters(recipe, 28, 28, "0011223344", sample_index=1))
    assert restored.fields == {"label": "3", "steps": 9, "sampler": "heun", "guidance": 3.0, "seed": 41,
                               "model": "digits-diffusion"}
    assert [key for key, _ in restored.unmapped] == ["Size", "Batch size", "Batch pos"]


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
