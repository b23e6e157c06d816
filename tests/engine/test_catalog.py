"""The model catalog: folders are described once, re-read only when they change, and a bad
folder is reported without hiding the others. Formats are found through their registry."""

from __future__ import annotations

import json
import shutil

import pytest

from engine.errors import ModelLoadError, ModelNotFound
from engine.kinds import Family
from engine.models import formats
from engine.models.catalog import Catalog, describe_folder, find_model
from engine.models.info import ModelInfo


@pytest.fixture
def root(tmp_path):
    return tmp_path / "models"


@pytest.fixture
def counting(root):
    described: list[str] = []

    def describe(folder, origin):
        described.append(folder.name)
        return describe_folder(folder, origin)

    root.mkdir()
    return Catalog(roots=lambda: [(root, "user")], describe=describe), described


def test_scans_once_and_refreshes_only_the_folder_that_changed(tiny_models, root, counting):
    catalog, described = counting
    shutil.copytree(tiny_models["gan"], root / "gan")
    shutil.copytree(tiny_models["diffusers"], root / "diffusers")
    assert sorted(m.name for m in catalog.models()) == ["diffusers", "tiny-gan"]
    assert sorted(described) == ["diffusers", "gan"]

    catalog.models()
    catalog.find("tiny-gan")
    assert len(described) == 2  # nothing changed: nothing re-read

    shutil.copytree(tiny_models["vae"], root / "vae")  # a folder added
    assert "tiny-vae" in [m.name for m in catalog.models()]
    assert described[2:] == ["vae"]

    config = root / "gan" / "config.json"  # a config edited in place
    data = json.loads(config.read_text())
    config.write_text(json.dumps({**data, "description": "edited in place"}))
    assert catalog.find("tiny-gan").description == "edited in place"
    assert described[3:] == ["gan"]

    unet_config = root / "diffusers" / "unet" / "config.json"  # one level down (diffusers' layout)
    unet_config.write_text(json.dumps({**json.loads(unet_config.read_text()), "sample_size": 16}))
    assert catalog.find("diffusers").height == 16
    assert described[4:] == ["diffusers"]

    shutil.rmtree(root / "vae")  # a folder removed
    assert "tiny-vae" not in [m.name for m in catalog.models()]
    assert len(described) == 5


def test_a_bad_folder_is_a_problem_line_and_the_others_still_show(tiny_models, root, counting):
    catalog, described = counting
    shutil.copytree(tiny_models["vae"], root / "good")
    (root / "not-json").mkdir()
    (root / "not-json" / "config.json").write_text("{ nope")
    (root / "empty").mkdir()
    problems: list[str] = []
    assert [m.name for m in catalog.models(problems=problems)] == ["tiny-vae"]
    assert len(problems) == 2
    assert any("not-json" in p and "not valid JSON" in p for p in problems)
    assert any("empty" in p and "not a model folder" in p and "model_index.json" in p for p in problems)

    again: list[str] = []
    catalog.models(problems=again)
    assert again == problems and len(described) == 3  # problems are remembered too, not re-read

    with pytest.raises(ModelLoadError, match="not valid JSON"):
        catalog.at(root / "not-json")
    (root / "not-json" / "config.json").write_text(json.dumps(
        {**json.loads((root / "good" / "config.json").read_text()), "name": "fixed"}))
    shutil.copy(root / "good" / "model.safetensors", root / "not-json" / "model.safetensors")
    assert catalog.at(root / "not-json").name == "fixed"


def test_unknown_names_list_what_is_there(tiny_models, root, counting):
    catalog, _ = counting
    shutil.copytree(tiny_models["gan"], root / "gan")
    with pytest.raises(ModelNotFound, match="no model named 'nope'; available: tiny-gan"):
        catalog.find("nope")


def test_model_info_carries_pipeline_guidance_and_size(tiny_models, tmp_path):
    digits = find_model("digits-diffusion")
    assert (digits.family, digits.pipeline, digits.default_guidance, digits.fixed_size) == (
        Family.DIFFUSION, "class-conditional-diffusion", 3.0, True)
    gan = find_model(str(tiny_models["gan"]))
    assert (gan.pipeline, gan.default_guidance) == ("decoder", None)
    assert find_model(str(tiny_models["diffusers"])).pipeline == "class-conditional-diffusion"
    assert find_model(str(tiny_models["unconditional"])).default_guidance is None  # no null label

    folder = tmp_path / "tuned"
    shutil.copytree(tiny_models["diffusion"], folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "default_guidance": 5}))
    assert find_model(str(folder)).default_guidance == 5.0
    (folder / "config.json").write_text(json.dumps({**config, "default_guidance": "high"}))
    with pytest.raises(ModelLoadError, match="default_guidance must be a number"):
        find_model(str(folder))


def test_model_info_accepts_the_plain_family_word():
    info = ModelInfo("m", "gan", "noisescope", "/x", "path", 8, 8, 1)
    assert info.family is Family.GAN and info.family == "gan" and info.pipeline == "decoder"
    assert info.to_dict()["family"] == "gan" and json.dumps(info.to_dict())


def test_formats_are_found_through_the_registry(tiny_models):
    ids = [f.id for f in formats.formats()]
    assert {"diffusers", "noisescope", "single_file"} <= set(ids) and ids[-1] == "single_file"  # files last
    assert formats.detect_format(tiny_models["diffusers"]).id == "diffusers"
    assert formats.detect_format(tiny_models["vae"]).id == "noisescope"
    with pytest.raises(ModelLoadError, match="unknown model format 'onnx'.*diffusers.*noisescope.*single_file"):
        formats.get_format("onnx")
