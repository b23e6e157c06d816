"""Copies of a colour model's training images are caught without a classifier (image_originality)."""

from __future__ import annotations

import numpy as np

from engine.training.image_folder import ImageSet
from engine.training.image_originality import class_lines, leave_one_out_nearest, originality
from engine.training.nearest import two_nearest


def image_set(seed: int = 0) -> ImageSet:
    """Two classes of 30 random 8x8 colour images; the first two of class 0 are the same picture."""
    images = np.random.default_rng(seed).integers(0, 256, (60, 8, 8, 3), dtype=np.uint8)
    images[1] = images[0]
    return ImageSet(images, np.repeat(np.arange(2), 30), ("a", "b"))


def test_training_images_given_back_are_copies_and_new_ones_are_not():
    train = image_set()
    lines = class_lines(train, *leave_one_out_nearest(train))
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
    chosen, others = leave_one_out_nearest(train)
    lines = class_lines(train, chosen, others)
    assert 0.005 <= (others < lines[train.labels[chosen]]).mean() <= 0.02


def test_chunked_nearest_neighbours_match_the_whole_distance_matrix():
    rng = np.random.default_rng(3)
    queries, reference = (rng.integers(0, 256, (n, 4, 4, 3), dtype=np.uint8) for n in (37, 101))
    distances, index = two_nearest(queries, reference, rows=8, columns=10)
    whole = np.linalg.norm(queries.reshape(37, 1, -1) / 255 - reference.reshape(1, 101, -1) / 255, axis=2)
    assert np.array_equal(index, whole.argmin(1))
    assert np.allclose(distances, np.sort(whole, axis=1)[:, :2], atol=1e-5)


def test_a_large_class_is_measured_on_an_even_spread_of_its_images(monkeypatch):
    import engine.training.image_originality as originality_module

    monkeypatch.setattr(originality_module, "PER_CLASS", 10)
    train = ImageSet(np.random.default_rng(4).integers(0, 256, (55, 4, 4, 3), dtype=np.uint8),
                     np.array([0] * 50 + [1] * 5), ("big", "small"))
    chosen, others = leave_one_out_nearest(train)
    assert (np.bincount(train.labels[chosen]) == [10, 5]).all() and chosen[0] == 0 and chosen[9] == 49
    assert others.shape == (15,) and (others > 0).all()
