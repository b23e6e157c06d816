"""The digits data set: loading, the fixed train / held-out split, and batches as model input.

assets/data/digits.npz holds uint8 images (N, 28, 28) and labels (N,). The split is a pure
function of the labels and a seed: the same `held_out_per_class` images of each class are
held out every time, and no generative model ever trains on them (they are the real-digit
reference of the evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.paths import assets_dir

HELD_OUT_PER_CLASS = 100
SPLIT_SEED = 20240601
IMAGE_SIZE = 32  # 28x28 MNIST padded by 2 px of black on each side


def default_data_path() -> Path:
    return assets_dir() / "data" / "digits.npz"


@dataclass(frozen=True)
class Digits:
    images: np.ndarray  # uint8 (N, 28, 28)
    labels: np.ndarray  # uint8 (N,)


def load_digits(path: Path | str | None = None) -> Digits:
    path = Path(path) if path is not None else default_data_path()
    with np.load(path) as data:
        images, labels = np.asarray(data["images"]), np.asarray(data["labels"])
    if images.ndim != 3 or images.dtype != np.uint8 or labels.shape != images.shape[:1]:
        raise ValueError(f"{path}: expected uint8 images (N, H, W) and labels (N,)")
    return Digits(images, labels.astype(np.int64))


def split_indices(labels: np.ndarray, held_out_per_class: int = HELD_OUT_PER_CLASS,
                  seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """(train, held_out) index arrays, sorted, disjoint, the same for the same labels and seed."""
    rng = np.random.default_rng(seed)
    held_out: list[np.ndarray] = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = min(held_out_per_class, len(members) // 2)
        held_out.append(rng.permutation(members)[:count])
    held = np.sort(np.concatenate(held_out)) if held_out else np.zeros(0, np.int64)
    train = np.setdiff1d(np.arange(len(labels)), held)
    return train, held


def split(digits: Digits, held_out_per_class: int = HELD_OUT_PER_CLASS) -> tuple[Digits, Digits]:
    train, held = split_indices(digits.labels, held_out_per_class)
    return (Digits(digits.images[train], digits.labels[train]),
            Digits(digits.images[held], digits.labels[held]))


def to_model_input(images: np.ndarray, size: int = IMAGE_SIZE) -> torch.Tensor:
    """uint8 (N, h, w) -> float32 (N, 1, size, size) in [-1, 1], padded with black (-1)."""
    x = torch.from_numpy(np.asarray(images, dtype=np.float32)) / 127.5 - 1.0
    pad_h, pad_w = size - x.shape[1], size - x.shape[2]
    x = torch.nn.functional.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2), value=-1.0)
    return x.unsqueeze(1).contiguous()


def from_model_output(images: torch.Tensor | np.ndarray, size: int = 28) -> np.ndarray:
    """(N, 1, H, W) in [-1, 1] or uint8 (N, H, W, 1) -> uint8 (N, size, size), the padding cropped."""
    if isinstance(images, torch.Tensor):
        array = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()[:, 0]
    else:
        array = np.asarray(images)[..., 0]
    top, left = (array.shape[1] - size) // 2, (array.shape[2] - size) // 2
    return np.ascontiguousarray(array[:, top:top + size, left:left + size])


class Batches:
    """Random batches drawn with a torch.Generator whose state a checkpoint saves and restores."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch: int, generator: torch.Generator):
        self.images, self.labels, self.batch, self.generator = images, labels, batch, generator

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.randint(0, len(self.images), (self.batch,), generator=self.generator)
        return self.images[index], self.labels[index]
