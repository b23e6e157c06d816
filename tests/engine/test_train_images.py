"""`noisescope train diffusion --images DIR`: a colour model in the bundled format, sampled by the engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import Finished, Recipe, run
from engine.cli.main import main
from engine.model_cache import ModelCache
from engine.training.grid import GAP_GREY, save_grid, tile
from engine.training.loss_log import LossLog, read_loss_log


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Two classes of 64x64 RGBA images: red discs and blue squares on transparency."""
    root = tmp_path_factory.mktemp("images")
    yy, xx = np.mgrid[:64, :64]
    for index in range(3):
        disc = np.zeros((64, 64, 4), np.uint8)
        disc[(yy - 32) ** 2 + (xx - 32) ** 2 < (12 + 4 * index) ** 2] = (220, 30, 30, 255)
        square = np.zeros((64, 64, 4), np.uint8)
        square[10 + index:50, 10:50 - index] = (30, 30, 220, 255)
        for name, pixels in (("discs", disc), ("squares", square)):
            (root / name).mkdir(exist_ok=True)
            Image.fromarray(pixels, "RGBA").save(root / name / f"{index}.png")
    (root / "dataset.json").write_text(json.dumps({"name": "shapes", "attribution": "made by the test"}))
    return root


def train(folder: Path, tmp: Path, *extra: str) -> int:
    return main(["train", "diffusion", "--images", str(folder), "--batch", "4", "--widths", "8,8,16", "--device",
                 "cpu", "--quiet", "--checkpoint-dir", str(tmp / "checkpoints"), "--out", str(tmp / "model"), *extra])


def test_a_colour_model_is_written_that_the_engine_samples(folder, tmp_path):
    assert train(folder, tmp_path, "--steps", "1", "--sample-every", "0") == 0
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["name"] == f"{folder.name}-diffusion"
    assert (config["channels"], config["height"], config["labels"], config["null_label"]) == (
        3, 32, ["discs", "squares"], 2)
    assert config["architecture_config"]["num_class_embeds"] == 3
    assert config["data"]["attribution"] == "made by the test" and config["data"]["train_images"] == 6
    assert "--images" in config["training"]["arguments"]["command"]
    events = list(run(Recipe(model=str(tmp_path / "model"), steps=2, batch=2, label="squares", device="cpu"),
                      cache=ModelCache(), previews=False))
    assert isinstance(events[-1], Finished), events[-1]
    assert events[-1].images.shape == (2, 32, 32, 3) and events[-1].images.dtype == np.uint8


def test_sample_grids_keep_the_colour(tmp_path):
    images = np.zeros((3, 4, 4, 3), np.uint8)
    images[1] = (200, 10, 20)
    with Image.open(save_grid(images, tmp_path / "grid.png", columns=3, scale=1)) as grid:
        assert grid.mode == "RGB" and grid.size == (14, 4)
        assert grid.getpixel((5, 0)) == (200, 10, 20) and grid.getpixel((4, 0)) == (GAP_GREY,) * 3
    assert tile(images[..., :1], columns=3).shape == (4, 14)  # grey stays one channel


def test_resume_reads_the_folder_the_checkpoint_names(folder, tmp_path):
    assert train(folder, tmp_path, "--steps", "1", "--sample-every", "0") == 0
    checkpoint = tmp_path / "checkpoints" / f"{folder.name}-diffusion-latest.pt"
    assert main(["train", "diffusion", "--resume", str(checkpoint), "--steps", "2", "--quiet", "--sample-every", "0",
                 "--checkpoint-dir", str(tmp_path / "checkpoints"), "--out", str(tmp_path / "model")]) == 0
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["training"]["steps"] == 2 and config["channels"] == 3


@pytest.mark.parametrize("arguments", [
    ["train", "vae", "--images", "."],
    ["train", "diffusion", "--images", "/nonexistent/folder"],
    ["train", "diffusion", "--images", ".", "--size", "30"],
])
def test_bad_image_arguments_exit_2_with_one_line(arguments, capsys):
    assert main(arguments) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_folder_without_images_is_refused_in_one_line(tmp_path, capsys):
    assert main(["train", "diffusion", "--images", str(tmp_path), "--quiet"]) == 2
    assert "holds no images" in capsys.readouterr().err


def test_the_loss_log_keeps_window_means_and_survives_a_resume(tmp_path):
    path = tmp_path / "losses.csv"
    log = LossLog(path, every=2)
    for step, loss in enumerate([1.0, 3.0, 5.0, 7.0], start=1):
        log.add(step, {"loss": loss}, elapsed_s=step)
    again = LossLog(path, every=2)  # a resumed run writes step 4 again
    again.add(3, {"loss": 1.0}, 3.0)
    again.add(4, {"loss": 2.0}, 4.0)
    with path.open("a") as file:
        file.write("6,6.0")  # cut short by a kill
    assert [(row["step"], row["loss"]) for row in read_loss_log(path)] == [(2, 2.0), (4, 1.5)]
    assert read_loss_log(tmp_path / "missing.csv") == []


def test_the_loss_log_takes_device_tensors_and_returns_each_windows_means(tmp_path):
    import torch

    log = LossLog(tmp_path / "losses.csv", every=3)
    losses = [torch.tensor(value, requires_grad=True) * 1 for value in (1.0, 2.0, 6.0, 4.0)]
    returned = [log.add(step, {"loss": loss, "other": 1.0}, elapsed_s=step) for step, loss in enumerate(losses, 1)]
    assert returned[:2] == [None, None] and returned[3] is None
    assert returned[2] == {"loss": 3.0, "other": 1.0} and all(type(v) is float for v in returned[2].values())
    assert [(row["step"], row["loss"]) for row in read_loss_log(tmp_path / "losses.csv")] == [(3, 3.0)]
    assert not log.sums["loss"].requires_grad  # the window's sum holds no autograd graph
