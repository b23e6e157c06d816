"""How original a colour model's samples are, measured against the image folder it was trained on.

No classifier can say what a colour sample shows, but whether it copies a training image needs none:
- nearest_train_median: median L2 distance (RGB in [0, 1]) from each sample to its nearest training
  image; the training images' own distances to their nearest *other* training image are the reference
- copies: share of samples nearer a training image than 99% of training images lie to their nearest
  other (different) one. One line per class, as for the digits (engine/training/evaluate.py): flags lie far
  nearer each other than animals do. A sample drawn for a class is judged by that class's line; one
  drawn without a label by the line of the class of its nearest training image
- memorised: nearest under a third of the second nearest (Yoon et al. 2023, as for the digits)
A set that copies its data scores copies near 100% (the tests feed it the training images).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.training.evaluate import MEMORISED_RATIO, two_nearest_distances
from engine.training.image_folder import ImageSet
from engine.training.sampling import generate

PERCENTILE = 1  # a copy: nearer than 99% of training images lie to their nearest other one
DUPLICATE = 1e-3  # L2 in [0, 1] RGB: under one 8-bit level in a single pixel, the same picture


def leave_one_out_nearest(train: ImageSet, batch: int = 500) -> np.ndarray:
    """Each training image's distance to its nearest other *different* training image. Exact duplicates
    are skipped: a data set can hold the same picture twice (flags of territories that share one), and
    counting those would put a class's line at 0, where no copy could ever fall under it."""
    import torch

    # float64: cdist's matrix-product form leaves float32 errors of ~1e-2 here, above a one-level difference
    flat = torch.from_numpy(train.images.reshape(len(train.images), -1).astype(np.float64) / 255)
    nearest = []
    for start in range(0, len(flat), batch):
        distances = torch.cdist(flat[start:start + batch], flat)
        nearest.append(distances.masked_fill(distances < DUPLICATE, float("inf")).min(1).values)
    return torch.cat(nearest).float().numpy()


def class_lines(train: ImageSet, others: np.ndarray) -> np.ndarray:
    """Per class, the PERCENTILE-th percentile of its images' leave-one-out distances (one line when unlabelled)."""
    classes = max(1, len(train.label_names))
    return np.array([np.percentile(others[train.labels == index], PERCENTILE) for index in range(classes)])


def originality(samples: np.ndarray, train: ImageSet, lines: np.ndarray, asked: np.ndarray | None = None
                ) -> dict[str, Any]:
    """The figures of uint8 (N, H, W, C) samples; `asked` holds each sample's class index, if one was asked."""
    if samples.shape[1:] != train.images.shape[1:]:
        raise ValueError(f"the samples are {samples.shape[1:]}, the training images {train.images.shape[1:]}")
    distances = two_nearest_distances(samples, train.images)
    nearest, second = distances.T
    if asked is None:  # the class of the training image it lies nearest
        asked = train.labels[_nearest_index(samples, train.images)]
    return {"samples": len(samples),
            "nearest_train_median": round(float(np.median(nearest)), 3),
            "copies": round(float((nearest < lines[asked]).mean()), 4),
            "memorised": round(float((nearest < MEMORISED_RATIO * second).mean()), 4)}


def _nearest_index(samples: np.ndarray, train: np.ndarray, batch: int = 500) -> np.ndarray:
    import torch

    reference = torch.from_numpy(train.reshape(len(train), -1).astype(np.float32) / 255)
    queries = torch.from_numpy(samples.reshape(len(samples), -1).astype(np.float32) / 255)
    return torch.cat([torch.cdist(queries[i:i + batch], reference).argmin(1)
                      for i in range(0, len(queries), batch)]).numpy()


def measure(model: Path | str, labels: list[str], train: ImageSet, count: int = 500, seed: int = 1000,
            steps: int = 30) -> dict[str, Any]:
    """`count` samples without a label, and count/len(labels) per label, against the training images.
    The folder's classes must be the model's labels, in order (they index the same embeddings)."""
    if list(train.label_names) != list(labels):
        raise ValueError(f"the folder's classes {list(train.label_names)} are not the model's labels {labels}: "
                         "give the folder the model was trained on")
    others = leave_one_out_nearest(train)
    lines = class_lines(train, others)
    result: dict[str, Any] = {
        "training_images": {"samples": len(train.images),
                            "nearest_train_median": round(float(np.median(others)), 3),
                            "copies_lines": [round(float(line), 3) for line in lines]},
        "unconditional": originality(generate(model, count, seed=seed, steps=steps), train, lines)}
    if labels:
        per_label = max(1, count // len(labels))
        samples = np.concatenate([generate(model, per_label, seed=seed, label=label, steps=steps) for label in labels])
        result["conditional"] = originality(samples, train, lines, np.repeat(np.arange(len(labels)), per_label))
    return result
