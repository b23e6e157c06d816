"""`noisescope train --init MODEL` (start from a model's weights) and `--label-dropout`."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from engine.cli.main import main
from tests.engine.test_training import tiny_data, train  # noqa: F401 (tiny_data is a fixture)

NULL_ROW = "class_embedding.weight"


def null_embedding(folder) -> np.ndarray:
    return load_file(str(folder / "model.safetensors"))[NULL_ROW][10].float().numpy()


def trained_null_embedding(run) -> np.ndarray:
    """The raw (not EMA) weights of the run's checkpoint: a few steps show there before the average moves."""
    state = torch.load(run / "checkpoints" / "digits-diffusion-latest.pt", weights_only=True)
    return state["trainer"]["model"][NULL_ROW][10].float().numpy()


@pytest.fixture
def start(tiny_data, tmp_path):  # noqa: F811
    """A tiny diffusion model trained 2 steps: what --init starts from."""
    assert train("diffusion", tiny_data, tmp_path / "start", "--steps", "2", "--sample-every", "0") == 0
    return tmp_path / "start" / "model"


def test_init_starts_from_the_weights_and_counts_on_from_their_steps(start, tiny_data, tmp_path):  # noqa: F811
    assert train("diffusion", tiny_data, tmp_path / "on", "--init", str(start), "--steps", "4",
                 "--label-dropout", "0.5", "--sample-every", "0") == 0
    config = json.loads((tmp_path / "on" / "model" / "config.json").read_text())
    arguments = config["training"]["arguments"]
    assert config["training"]["steps"] == 4 and arguments["start_step"] == 2 and arguments["label_dropout"] == 0.5
    assert "--init" in arguments["command"] and "--label-dropout 0.5" in arguments["command"]
    before, after = load_file(str(start / "model.safetensors")), load_file(str(tmp_path / "on" / "model" /
                                                                              "model.safetensors"))
    assert before.keys() == after.keys()
    # Two more steps move the EMA weights a little from the start (decay at its full 0.999), not far.
    moved = [float((after[key].float() - before[key].float()).abs().max()) for key in before]
    assert 0 < max(moved) < 0.05


@pytest.mark.parametrize("dropout, null_trained", [("0", False), ("0.99", True)])
def test_label_dropout_decides_whether_the_null_label_is_trained(start, tiny_data, tmp_path,  # noqa: F811
                                                                 dropout, null_trained):
    assert train("diffusion", tiny_data, tmp_path / "on", "--init", str(start), "--steps", "5",
                 "--label-dropout", dropout, "--sample-every", "0") == 0
    changed = not np.array_equal(null_embedding(start), trained_null_embedding(tmp_path / "on"))
    assert changed == null_trained


@pytest.mark.parametrize("extra", [
    ["--label-dropout", "1.5"],
    ["--init", "/nonexistent/model"],
    ["--init", "START", "--widths", "8,16,16"],  # another architecture than the model's
    ["--init", "START", "--steps", "2"],  # no more steps than the model has
])
def test_bad_init_or_dropout_exits_2_with_one_line(start, tiny_data, tmp_path, capsys, extra):  # noqa: F811
    extra = [str(start) if word == "START" else word for word in extra]
    arguments = ["train", "diffusion", "--data", str(tiny_data), "--batch", "4", "--device", "cpu", "--quiet",
                 "--out", str(tmp_path / "out"), "--checkpoint-dir", str(tmp_path / "ck"), "--sample-every", "0"]
    capsys.readouterr()
    assert main(arguments + (extra if "--widths" in extra else ["--widths", "8,8,16", *extra])) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("noisescope: error: --")


def test_init_refuses_a_model_of_another_family(start, tiny_data, tmp_path, capsys):  # noqa: F811
    for family in ("gan", "vae"):
        assert main(["train", family, "--init", str(start), "--data", str(tiny_data), "--quiet", "--device", "cpu",
                     "--out", str(tmp_path / "out")]) == 2
        assert f"is a diffusion model, not {family}" in capsys.readouterr().err


def test_label_dropout_given_on_resume_overrides_the_checkpoints(start, tiny_data, tmp_path):  # noqa: F811
    checkpoint = start.parent / "checkpoints" / "digits-diffusion-latest.pt"
    assert train("diffusion", tiny_data, tmp_path / "on", "--resume", str(checkpoint), "--steps", "3",
                 "--label-dropout", "0.3", "--sample-every", "0") == 0
    config = json.loads((tmp_path / "on" / "model" / "config.json").read_text())
    assert config["training"]["arguments"]["label_dropout"] == 0.3 and config["training"]["steps"] == 3


def test_init_carries_the_models_chosen_guidance_and_guide_to_the_model_trained_on(start, tiny_data,  # noqa: F811
                                                                                   tmp_path):
    config = json.loads((start / "config.json").read_text())
    config.update(default_guidance=6.0, default_guide={"model": "digits-diffusion-early", "guidance": 4.0})
    (start / "config.json").write_text(json.dumps(config))
    assert train("diffusion", tiny_data, tmp_path / "on", "--init", str(start), "--steps", "3",
                 "--sample-every", "0") == 0
    exported = json.loads((tmp_path / "on" / "model" / "config.json").read_text())
    assert exported["default_guidance"] == 6.0 and exported["default_guide"]["model"] == "digits-diffusion-early"
    # a --resume of that run exports them too: they travel in the checkpoint's settings
    checkpoint = tmp_path / "on" / "checkpoints" / "digits-diffusion-latest.pt"
    assert main(["train", "diffusion", "--resume", str(checkpoint), "--data", str(tiny_data), "--steps", "4",
                 "--quiet", "--sample-every", "0",
                 "--device", "cpu", "--checkpoint-dir", str(tmp_path / "on" / "checkpoints"),
                 "--out", str(tmp_path / "resumed")]) == 0
    assert json.loads((tmp_path / "resumed" / "config.json").read_text())["default_guidance"] == 6.0


def test_init_from_a_model_of_other_labels_leaves_its_guidance_behind():
    from engine.training.init_weights import sampling_defaults

    config = {"labels": ["a", "b"], "default_guidance": 6.0, "default_guide": {"model": "g", "guidance": 4.0}}
    assert sampling_defaults(config, ["a", "b"]) == {"default_guidance": 6.0,
                                                     "default_guide": {"model": "g", "guidance": 4.0}}
    assert sampling_defaults(config, ["x", "y"]) == {}  # its guide would not fit (a guide has the same labels)
    assert sampling_defaults({"labels": None}, None) == {}
