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

from engine.training.evaluate import MEMORISED_RATIO, Sampler, sample_here
from engine.training.image_folder import ImageSet
from engine.training.nearest import two_nearest
from engine.training.sampling import sample_recipes

PERCENTILE = 1  # a copy: nearer than 99% of training images lie to their nearest other one
PER_CLASS = 1000  # training images per class whose nearest others set the line (all of a smaller class)


def leave_one_out_nearest(train: ImageSet) -> tuple[np.ndarray, np.ndarray]:
    """Up to PER_CLASS training images of each class (evenly spread), and each one's distance to its
    nearest other *different* training image. Exact duplicates are skipped: a data set can hold the
    same picture twice (flags of territories that share one), and counting those would put a class's
    line at 0, where no copy could ever fall under it."""
    chosen = np.concatenate([members[np.linspace(0, len(members) - 1, min(PER_CLASS, len(members))).astype(int)]
                             for members in (np.flatnonzero(train.labels == label) for label in np.unique(train.labels))])
    distances, _ = two_nearest(train.images[chosen], train.images, skip_duplicates=True)
    return chosen, distances[:, 0]


def class_lines(train: ImageSet, chosen: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Per class, the PERCENTILE-th percentile of its chosen images' nearest-other distances (one line
    when unlabelled)."""
    classes = max(1, len(train.label_names))
    labels = train.labels[chosen]
    return np.array([np.percentile(others[labels == index], PERCENTILE) for index in range(classes)])


def originality(samples: np.ndarray, train: ImageSet, lines: np.ndarray, asked: np.ndarray | None = None
                ) -> dict[str, Any]:
    """The figures of uint8 (N, H, W, C) samples; `asked` holds each sample's class index, if one was asked."""
    if samples.shape[1:] != train.images.shape[1:]:
        raise ValueError(f"the samples are {samples.shape[1:]}, the training images {train.images.shape[1:]}")
    distances, nearest_index = two_nearest(samples, train.images)
    nearest, second = distances.T
    if asked is None:  # the class of the training image it lies nearest
        asked = train.labels[nearest_index]
    return {"samples": len(samples),
            "nearest_train_median": round(float(np.median(nearest)), 3),
            "copies": round(float((nearest < lines[asked]).mean()), 4),
            "memorised": round(float((nearest < MEMORISED_RATIO * second).mean()), 4)}


def measure(model: Path | str, labels: list[str], train: ImageSet, count: int = 500, seed: int = 1000,
            steps: int = 30, sample: Sampler = sample_here, batch: int = 100) -> dict[str, Any]:
    """`count` samples without a label, and count/len(labels) per label, against the training images.
    The folder's classes must be the model's labels, in order (they index the same embeddings).
    `sample` draws them (here, or on Ray workers: engine/cluster/ray_evaluate.py)."""
    if list(train.label_names) != list(labels):
        raise ValueError(f"the folder's classes {list(train.label_names)} are not the model's labels {labels}: "
                         "give the folder the model was trained on")
    chosen, others = leave_one_out_nearest(train)
    lines = class_lines(train, chosen, others)
    per_label = max(1, count // len(labels)) if labels else 0
    requests = [sample_recipes(model, count, seed=seed, steps=steps, batch=batch)]
    requests += [sample_recipes(model, per_label, seed=seed, label=label, steps=steps, batch=batch) for label in labels]
    free, *labelled = sample(requests)
    result: dict[str, Any] = {
        "training_images": {"samples": len(train.images), "measured": len(chosen),
                            "nearest_train_median": round(float(np.median(others)), 3),
                            "copies_lines": [round(float(line), 3) for line in lines]},
        "unconditional": originality(free, train, lines)}
    if labels:
        result["conditional"] = originality(np.concatenate(labelled), train, lines,
                                            np.repeat(np.arange(len(labels)), per_label))
    return result
