"""Text-to-image from the command line, and one clear message for every bad folder or setting."""

from __future__ import annotations

import json
import shutil

import pytest
from PIL import Image

from engine import Recipe
from engine.cli.main import main
from engine.errors import InvalidRecipe, ModelLoadError
from engine.models.catalog import describe_folder, find_model
from tests.engine.helpers import failure_of
from tests.engine.tiny_sd import tiny_sd_folder


@pytest.fixture(scope="module")
def sd_folder(tmp_path_factory):
    return tiny_sd_folder(tmp_path_factory.mktemp("tiny-sd-cli"))


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_from_a_prompt_writes_the_asked_size(capsys, sd_folder, tmp_path):
    code, out, err = run_cli(capsys, "generate", "--model", str(sd_folder), "--prompt", "a red cat",
                             "--negative-prompt", "blurry", "--width", "48", "--height", "32", "--steps", "2",
                             "--seed", "5", "--device", "cpu", "--out", str(tmp_path), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["recipe"]["conditioning"] == {"kind": "text", "prompt": "a red cat", "negative": "blurry"}
    assert (summary["recipe"]["width"], summary["recipe"]["height"], summary["recipe"]["guidance"]) == (48, 32, 7.5)
    with Image.open(summary["images"][0]) as image:
        assert image.size == (48, 32) and image.mode == "RGB"


def test_models_lists_the_folder_as_text_to_image(capsys, sd_folder):
    code, out, _ = run_cli(capsys, "models", "--json", "--model", str(sd_folder))
    assert code == 0
    listed = {m["name"]: m for m in json.loads(out)["models"]}[sd_folder.name]
    assert (listed["pipeline"], listed["takes_text"], listed["latent_space"]) == ("text-to-image", True, "sd")


@pytest.mark.parametrize("size", [("--width", "50"), ("--height", "36")])
def test_a_size_not_a_multiple_of_8_is_one_line_exit_2(capsys, sd_folder, tmp_path, size):
    code, out, err = run_cli(capsys, "generate", "--model", str(sd_folder), "--prompt", "cat", *size,
                             "--steps", "1", "--device", "cpu", "--out", str(tmp_path))
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and "multiple of 8" in err and size[1] in err
    assert not list(tmp_path.glob("*.png"))


def test_a_text_model_without_a_prompt_says_to_write_one(sd_folder):
    failed = failure_of(Recipe(model=str(sd_folder), steps=1, device="cpu"))
    assert failed.kind == InvalidRecipe.kind and "prompt" in failed.message


def test_label_and_prompt_together_are_refused(capsys, sd_folder):
    code, _, err = run_cli(capsys, "generate", "--model", str(sd_folder), "--prompt", "cat", "--label", "3")
    assert code == 2 and "--label or --prompt" in err


def test_an_empty_folder_says_what_a_model_folder_holds(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(capsys, "generate", "--model", str(tmp_path / "empty"), "--prompt", "cat",
                           "--out", str(tmp_path / "out"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "not a model folder" in err and "model_index.json" in err


@pytest.mark.parametrize("class_name", ["LDMPipeline", "ConsistencyModelPipeline", "ScoreSdeVePipeline",
                                        "SomeFuturePipeline"])
def test_an_unsupported_pipeline_class_is_named(tmp_path, class_name):
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "model_index.json").write_text(json.dumps({"_class_name": class_name,
                                                         "unet": ["diffusers", "UNet2DModel"]}))
    with pytest.raises(ModelLoadError) as caught:
        describe_folder(folder)
    assert class_name in caught.value.message and "StableDiffusionPipeline" in caught.value.message


def test_a_missing_tokenizer_is_named_before_loading(tmp_path, sd_folder):
    broken = tmp_path / "no-tokenizer"
    shutil.copytree(sd_folder, broken)
    shutil.rmtree(broken / "tokenizer")
    with pytest.raises(ModelLoadError) as caught:
        describe_folder(broken)
    assert "tokenizer/ folder is missing" in caught.value.message


def test_unet2d_folders_still_take_no_prompt(tiny_models):
    info = find_model(str(tiny_models["diffusers"]))
    assert info.pipeline == "class-conditional-diffusion" and not info.takes_text
    with pytest.raises(InvalidRecipe, match="takes no text prompt"):
        Recipe(model=str(tiny_models["diffusers"]), prompt="cat").check_against_model(info)
