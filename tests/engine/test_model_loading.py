"""Model files that are missing, corrupt, mismatched or hostile fail with a message, never a traceback."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from engine import Recipe
from engine.models.registry import discover_models, find_model
from tests.engine.helpers import failure_of, finished_images


@pytest.fixture
def model_copy(tiny_models, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(tiny_models["vae"], folder)
    return folder


def test_truncated_weights_are_reported_as_corrupt(model_copy):
    weights = model_copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])
    failure = failure_of(Recipe(model=str(model_copy)))
    assert failure.kind == "model_load"
    assert "corrupt or truncated" in failure.message and str(weights) in failure.message


def test_garbage_weights_are_reported(model_copy):
    (model_copy / "model.safetensors").write_bytes(os.urandom(4096))
    assert failure_of(Recipe(model=str(model_copy))).kind == "model_load"


def test_missing_weights_and_bad_config(model_copy):
    (model_copy / "model.safetensors").unlink()
    assert "weight file is missing" in failure_of(Recipe(model=str(model_copy))).message
    (model_copy / "config.json").write_text("{not json")
    assert "not valid JSON" in failure_of(Recipe(model=str(model_copy))).message


def test_weights_of_another_architecture_are_refused(model_copy):
    config = json.loads((model_copy / "config.json").read_text())
    config["architecture_config"]["latent_dim"] = config["latent_dim"] = 6  # a config that agrees with itself
    (model_copy / "config.json").write_text(json.dumps(config))
    failure = failure_of(Recipe(model=str(model_copy)))
    assert failure.kind == "model_load" and "do not match the architecture" in failure.message


class Exploit:
    """A pickle payload that would create a file if it were ever executed."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_that_runs_code_is_refused_and_never_executed(model_copy, tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"weights": Exploit(str(marker))}, model_copy / "model.ckpt")
    config = json.loads((model_copy / "config.json").read_text())
    (model_copy / "config.json").write_text(json.dumps({**config, "weights": "model.ckpt"}))
    failure = failure_of(Recipe(model=str(model_copy)))
    assert failure.kind == "unsafe_model"
    assert "refused to load" in failure.message and "safetensors" in failure.message
    assert not marker.exists()


def test_a_plain_pickled_state_dict_loads_with_weights_only(model_copy):
    from safetensors.torch import load_file

    reference = finished_images(Recipe(model=str(model_copy), seed=2))
    torch.save(load_file(model_copy / "model.safetensors"), model_copy / "model.pt")
    config = json.loads((model_copy / "config.json").read_text())
    (model_copy / "config.json").write_text(json.dumps({**config, "weights": "model.pt"}))
    assert (finished_images(Recipe(model=str(model_copy), seed=2)) == reference).all()


def test_unknown_names_list_what_is_available(tiny_models):
    failure = failure_of(Recipe(model="no-such-model"), extra_model_paths=[tiny_models["vae"]])
    assert failure.kind == "model_not_found" and "tiny-vae" in failure.message


def test_a_folder_that_is_not_a_model(tmp_path):
    failure = failure_of(Recipe(model=str(tmp_path)))
    assert failure.kind == "model_load" and "not a model folder" in failure.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_folder(model_copy):
    model_copy.chmod(0)
    try:
        assert failure_of(Recipe(model=str(model_copy))).kind == "model_load"
    finally:
        model_copy.chmod(0o755)


def test_discovery_reports_broken_folders_without_hiding_good_ones(tiny_models, isolated_user_data):
    user_models = isolated_user_data / "models"
    shutil.copytree(tiny_models["gan"], user_models / "good")
    (user_models / "broken").mkdir()
    (user_models / "broken" / "config.json").write_text("[]")
    problems: list[str] = []
    names = [m.name for m in discover_models(problems=problems)]
    assert "tiny-gan" in names
    assert any("broken" in p for p in problems)
    assert find_model("tiny-gan").origin == "user"


def test_loading_happens_without_code_execution_paths():
    # The loaders must never call torch.load without weights_only=True.
    source = subprocess.run([sys.executable, "-c", "import engine.models.weights as w, inspect; "
                             "print(inspect.getsource(w))"], capture_output=True, text=True, check=True).stdout
    assert "torch.load(" in source and source.count("torch.load(") == source.count("weights_only=True")


def test_a_decoder_model_whose_architecture_cannot_decode_is_refused(tiny_models, tmp_path):
    # A VAE-family config pointing at an architecture without decode() (here the diffusion UNet):
    # the loader says so instead of failing later with an AttributeError mid-run.
    folder = tmp_path / "not-a-decoder"
    shutil.copytree(tiny_models["diffusion"], folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(family="vae", latent_dim=4, labels=None, name="not-a-decoder")
    (folder / "config.json").write_text(json.dumps(config))
    failure = failure_of(Recipe(model=str(folder), sampler="none"))
    assert failure.kind == "model_load"
    assert "has no decode()" in failure.message and "UNet2DModel" in failure.message


@pytest.mark.parametrize("name", ["MODEL.SAFETENSORS", "Model.Pt"])
def test_weight_file_suffixes_are_read_case_insensitively(tiny_models, tmp_path, name):
    # issue 12: files copied from a case-insensitive disk keep their upper-case suffixes
    from safetensors.torch import load_file

    from engine.models.catalog import describe_folder

    folder = shutil.copytree(tiny_models["vae"], tmp_path / "upper")
    state = load_file(str(folder / "model.safetensors"))
    if name.lower().endswith(".pt"):
        torch.save(state, folder / name)
        (folder / "model.safetensors").unlink()
    else:
        (folder / "model.safetensors").rename(folder / name)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "weights": name}))
    assert describe_folder(folder).parameters == (sum(t.numel() for t in state.values()) if "SAFE" in name else None)
    images = finished_images(Recipe(model=str(folder), sampler="none", seed=3))
    assert (images == finished_images(Recipe(model=str(tiny_models["vae"]), sampler="none", seed=3))).all()
