"""A folder of images as a training set: one subfolder per class, or images loose in the folder (no labels).

Every image is read with Pillow, its transparency composited on a plain background (emoji and icons
are RGBA: a transparent pixel's colour is arbitrary and must not reach the model), converted to RGB
and resized to size x size with a box reduce where the factor is whole (64 -> 32 averages 2x2 blocks,
no ringing) and Lanczos otherwise. An optional dataset.json in the folder describes the data
(name, attribution, licence, description) for the model's config and card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")
BACKGROUNDS = {"white": (255, 255, 255), "grey": (128, 128, 128), "black": (0, 0, 0)}
MAX_IMAGES = 200_000  # a training set held in memory: 200k x 32x32x3 bytes is 600 MB
DESCRIPTION_FILE = "dataset.json"


@dataclass(frozen=True)
class ImageSet:
    images: np.ndarray  # uint8 (N, size, size, 3)
    labels: np.ndarray  # int64 (N,), indices into label_names (all 0 when there are no classes)
    label_names: tuple[str, ...]  # empty: an unlabelled set
    description: dict[str, Any] = field(default_factory=dict)  # dataset.json, if the folder has one


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def _load_one(path: Path, size: int, background: tuple[int, int, int]) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as opened:
        image = opened.convert("RGBA")
    canvas = Image.new("RGBA", image.size, (*background, 255))
    image = Image.alpha_composite(canvas, image).convert("RGB")
    if image.size != (size, size):
        factor = image.size[0] // size
        if image.size[0] == image.size[1] and factor > 1 and image.size[0] == factor * size:
            image = image.reduce(factor)
        else:
            image = image.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8)


def load_image_folder(folder: Path | str, size: int = 32, background: str = "white") -> ImageSet:
    """The images of `folder`; ValueError, saying what is wrong and what to do, for a folder that holds none
    or an image Pillow cannot read."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder: give a folder of images (one subfolder per class)")
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {', '.join(BACKGROUNDS)}, not {background!r}")
    classes = sorted(p for p in folder.iterdir() if p.is_dir() and _image_files(p))
    loose = _image_files(folder)
    if classes and loose:
        raise ValueError(f"{folder} holds both class subfolders and loose images ({loose[0].name}): "
                         "put every image in a class subfolder, or use no subfolders at all")
    groups = [(index, _image_files(path)) for index, path in enumerate(classes)] if classes else [(0, loose)]
    count = sum(len(files) for _, files in groups)
    if count == 0:
        raise ValueError(f"{folder} holds no images ({', '.join(SUFFIXES)}), directly or in subfolders")
    if count > MAX_IMAGES:
        raise ValueError(f"{folder} holds {count:,} images; at most {MAX_IMAGES:,} fit in memory here")
    images, labels = [], []
    for label, files in groups:
        for path in files:
            try:
                images.append(_load_one(path, size, BACKGROUNDS[background]))
            except (OSError, ValueError) as exc:  # Pillow: UnidentifiedImageError is an OSError
                raise ValueError(f"{path}: not a readable image ({exc}); remove it or replace it") from None
            labels.append(label)
    return ImageSet(np.stack(images), np.asarray(labels, dtype=np.int64),
                    tuple(path.name for path in classes), _description(folder))


def _description(folder: Path) -> dict[str, Any]:
    path = folder / DESCRIPTION_FILE
    if not path.is_file():
        return {}
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); fix it or remove it") from None
    if not isinstance(description, dict) or not all(isinstance(v, str | int) for v in description.values()):
        raise ValueError(f"{path}: expected an object of plain text fields (name, attribution, licence, ...)")
    return description


def to_model_input(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, C) -> float32 (N, C, H, W) in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).float() / 127.5 - 1.0
    return x.permute(0, 3, 1, 2).contiguous()
