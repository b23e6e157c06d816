"""Copies of a colour model's training images are caught without a classifier (image_originality)."""

from __future__ import annotations

import numpy as np

from engine.training.image_folder import ImageSet
from engine.training.image_originality import class_lines, leave_one_out_nearest, originality


def image_set(seed: int = 0) -> ImageSet:
    """Two classes of 30 random 8x8 colour images; the first two of class 0 are the same picture."""
    images = np.random.default_rng(seed).integers(0, 256, (60, 8, 8, 3), dtype=np.uint8)
    images[1] = images[0]
    return ImageSet(images, np.repeat(np.arange(2), 30), ("a", "b"))


def test_training_images_given_back_are_copies_and_new_ones_are_not():
    train = image_set()
    lines = class_lines(train, leave_one_out_nearest(train))
    assert (lines > 0).all()  # the duplicated picture does not put class a's line at 0
    nudged = np.clip(train.images.astype(int) + 1, 0, 255).astype(np.uint8)  # one level off: a copy still
    copied = originality(nudged[2:], train, lines, asked=train.labels[2:])
    assert copied["copies"] == 1.0 and copied["memorised"] == 1.0 and copied["nearest_train_median"] < 0.1
    fresh = image_set(seed=1).images
    new = originality(fresh, train, lines)  # no label asked: the class of the nearest training image
    # new images from the training images' own distribution: ~1% of them fall under the lines by design
    assert new["copies"] <= 0.05 and new["memorised"] == 0.0 and new["samples"] == 60


def test_about_one_percent_of_the_training_images_fall_under_their_own_lines():
    train = ImageSet(np.random.default_rng(2).integers(0, 256, (400, 8, 8, 3), dtype=np.uint8),
                     np.repeat(np.arange(2), 200), ("a", "b"))
    others = leave_one_out_nearest(train)
    lines = class_lines(train, others)
    assert 0.005 <= (others < lines[train.labels]).mean() <= 0.02
