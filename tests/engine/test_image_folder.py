"""A folder of images as a training set: classes from subfolders, transparency on a background, resizing, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.training.image_folder import load_image_folder, to_model_input


def rgba(path: Path, size: int = 64, colour=(200, 0, 0)) -> Path:
    """Left half opaque `colour`, right half fully transparent (with a colour that must never show)."""
    pixels = np.zeros((size, size, 4), np.uint8)
    pixels[:, : size // 2] = (*colour, 255)
    pixels[:, size // 2:] = (0, 255, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "RGBA").save(path)
    return path


def test_subfolders_are_classes_and_transparency_becomes_the_background(tmp_path):
    rgba(tmp_path / "cats" / "a.png")
    rgba(tmp_path / "cats" / "b.png", colour=(0, 0, 200))
    rgba(tmp_path / "apples" / "c.png")
    images = load_image_folder(tmp_path, size=32)
    assert images.label_names == ("apples", "cats")
    assert images.labels.tolist() == [0, 1, 1]
    assert images.images.shape == (3, 32, 32, 3) and images.images.dtype == np.uint8
    # 64 -> 32 averages 2x2 blocks: both halves stay exact, and the transparent green never shows
    assert images.images[1, :, :16].reshape(-1, 3).tolist() == [[200, 0, 0]] * 512
    assert images.images[1, :, 16:].reshape(-1, 3).tolist() == [[255, 255, 255]] * 512
    grey = load_image_folder(tmp_path, size=32, background="grey")
    assert grey.images[2, 0, 31].tolist() == [128, 128, 128]
    assert images.description == {}


def test_loose_images_make_an_unlabelled_set_of_any_size(tmp_path):
    rgba(tmp_path / "one.png", size=48)
    Image.new("RGB", (20, 30), (10, 20, 30)).save(tmp_path / "two.jpg")
    (tmp_path / "notes.txt").write_text("not an image")
    images = load_image_folder(tmp_path, size=16)
    assert images.label_names == () and images.labels.tolist() == [0, 0]
    assert images.images.shape == (2, 16, 16, 3)
    x = to_model_input(images.images)
    assert x.shape == (2, 3, 16, 16) and float(x.min()) >= -1 and float(x.max()) <= 1
    assert x[1, :, 8, 8].tolist() == pytest.approx([10 / 127.5 - 1, 20 / 127.5 - 1, 30 / 127.5 - 1], abs=0.02)


def test_dataset_json_describes_the_data(tmp_path):
    rgba(tmp_path / "a" / "x.png")
    (tmp_path / "dataset.json").write_text(json.dumps({"name": "tiny", "attribution": "Someone, CC-BY 4.0"}))
    assert load_image_folder(tmp_path).description == {"name": "tiny", "attribution": "Someone, CC-BY 4.0"}


@pytest.mark.parametrize("make, words", [
    (lambda root: None, "holds no images"),
    (lambda root: (rgba(root / "a" / "x.png"), rgba(root / "y.png")), "both class subfolders and loose images"),
    (lambda root: (root / "a").mkdir() or (root / "a" / "bad.png").write_bytes(b"not a png"), "not a readable image"),
    (lambda root: rgba(root / "a" / "x.png") and (root / "dataset.json").write_text("{oops"), "not valid JSON"),
])
def test_bad_folders_are_refused_with_what_to_do(tmp_path, make, words):
    make(tmp_path)
    with pytest.raises(ValueError, match=words):
        load_image_folder(tmp_path)
    with pytest.raises(ValueError, match="is not a folder"):
        load_image_folder(tmp_path / "missing")
