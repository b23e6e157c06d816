"""`noisescope evaluate MODEL --card` for a model the digit classifier cannot judge: data, training, loss, samples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from engine.cli.main import main
from engine.training.image_card import card_block


@pytest.fixture(scope="module")
def colour_model(tmp_path_factory) -> Path:
    """A 1-step colour model of two classes, trained from a folder the fixture draws."""
    root = tmp_path_factory.mktemp("colour")
    for name, colour in (("reds", (220, 30, 30)), ("blues", (30, 30, 220))):
        (root / "data" / name).mkdir(parents=True)
        for index in range(2):
            Image.new("RGB", (32, 32), colour).save(root / "data" / name / f"{index}.png")
    (root / "data" / "dataset.json").write_text(json.dumps({"name": "squares", "attribution": "Drawn by the test"}))
    assert main(["train", "diffusion", "--images", str(root / "data"), "--steps", "1", "--batch", "2", "--widths",
                 "8,8,16", "--device", "cpu", "--quiet", "--sample-every", "0", "--checkpoint-dir",
                 str(root / "checkpoints"), "--out", str(root / "model")]) == 0
    return root / "model"


def test_the_card_of_a_colour_model_holds_data_training_and_its_samples(colour_model, capsys):
    assert main(["evaluate", str(colour_model), "--card", "--steps", "2", "--count", "10"]) == 0
    card = (colour_model / "MODEL_CARD.md").read_text()
    for words in ("Drawn by the test", "4 images in 2 classes (blues, reds)", "noisescope train diffusion --steps 1",
                  "![samples](samples.png)", "no recognition figure", "## Licence", '"in_channels": 3'):
        assert words in card, words
    with Image.open(colour_model / "samples.png") as grid:
        # a row per class, then one without a label: the model learned a null label, and users draw with none
        assert grid.mode == "RGB" and grid.size == ((10 * 33 - 1) * 2, (3 * 33 - 1) * 2)
    assert "One row per class (seeds 0-9 in each row, DPM-Solver++, the model's default guidance), then a row " \
           "without a label." in card
    # prose written around the generated block survives the next run
    (colour_model / "MODEL_CARD.md").write_text(card + "\nHand-written note.\n")
    assert main(["evaluate", str(colour_model), "--card", "--steps", "2", "--count", "10"]) == 0
    again = (colour_model / "MODEL_CARD.md").read_text()
    assert again.count("## Data") == 1 and again.endswith("Hand-written note.\n")


def test_the_card_and_the_figures_say_how_near_the_samples_come_to_the_training_images(colour_model, capsys):
    # the folder the model's config records is on this machine: it is measured without being named
    assert main(["evaluate", str(colour_model), "--card", "--steps", "2", "--count", "20"]) == 0
    card = (colour_model / "MODEL_CARD.md").read_text()
    assert "## Originality" in card and "| no label | 20 |" in card and "| label asked | 20 |" in card
    assert "Not measured" not in card
    capsys.readouterr()
    data = colour_model.parent / "data"
    assert main(["evaluate", str(colour_model), "--images", str(data), "--steps", "2", "--count", "20",
                 "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)["originality"]
    assert figures["training_images"]["samples"] == 4 and figures["conditional"]["samples"] == 20
    assert 0 <= figures["unconditional"]["copies"] <= 1 and "card" not in figures


def test_a_colour_model_with_no_training_folder_here_or_a_card_lacking_the_block_exits_2(colour_model, tmp_path,
                                                                                        capsys):
    moved = tmp_path / "moved"
    shutil.copytree(colour_model, moved)
    config = json.loads((moved / "config.json").read_text())
    config["training"]["arguments"]["images"] = str(tmp_path / "gone")
    (moved / "config.json").write_text(json.dumps(config))
    assert main(["evaluate", str(moved)]) == 2
    assert "--images FOLDER" in capsys.readouterr().err
    assert main(["evaluate", str(moved), "--images", str(tmp_path / "gone")]) == 2
    assert "not a folder" in capsys.readouterr().err
    wrong = tmp_path / "wrong"
    (wrong / "greens").mkdir(parents=True)
    Image.new("RGB", (32, 32), (0, 200, 0)).save(wrong / "greens" / "0.png")
    assert main(["evaluate", str(moved), "--images", str(wrong), "--steps", "2", "--count", "10"]) == 2
    assert "not the model's labels" in capsys.readouterr().err
    assert main(["evaluate", str(moved), "--card", "--steps", "2"]) == 0  # a card without the figures
    assert "Not measured: `noisescope evaluate" in (moved / "MODEL_CARD.md").read_text()
    bare = tmp_path / "bare.md"
    bare.write_text("# a card with no generated block\n")
    assert main(["evaluate", str(colour_model), "--card", str(bare), "--steps", "2"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_loss_curve_is_a_short_table_from_first_to_last_step():
    config = {"height": 32, "width": 32, "architecture": "UNet2DModel", "architecture_config": {},
              "data": {"name": "x", "train_images": 5}, "labels": None,
              "training": {"steps": 4000, "loss_curve": [[100 * (i + 1), 1 / (i + 1)] for i in range(40)]}}
    text = card_block(config, 1000, None)
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 12 and rows[0] == "| 100 | 1.0000 |" and rows[-1] == "| 4,000 | 0.0250 |"
    assert "5 images (no classes)" in text and "1,000 parameters" in text


def test_images_is_refused_for_a_digits_model(tmp_path, capsys):
    assert main(["evaluate", "digits-gan", "--images", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--images is for a colour model" in err


def test_the_card_names_the_guide_of_its_no_label_row_and_a_model_without_a_null_label_has_none():
    config = {"height": 32, "width": 32, "architecture": "UNet2DModel", "architecture_config": {}, "family": "diffusion",
              "data": {"name": "x", "train_images": 5}, "labels": ["a", "b"], "null_label": 2,
              "default_guide": {"model": "x-guide", "guidance": 4.0}}
    assert "then a row without a label, autoguided by x-guide (weight 4)." in card_block(config, 10, "samples.png")
    assert "then a row" not in card_block({**config, "null_label": None}, 10, "samples.png")
