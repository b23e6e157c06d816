"""Quality figures for a digits model, sampled through engine.run exactly as users get them.

- confident: share of samples the classifier gives > 0.9 probability (recognisable digits)
- histogram / coverage: the classes the samples are classified as (and how many of the ten)
- label_accuracy: for conditional models, share classified as the label that was asked for
- nearest_train: median L2 distance (pixels in [0, 1], 28x28) from each sample to its nearest
  training image; real held-out digits give the reference: a model that copies its training
  images scores far below it
- copies: share of samples closer to a training image than 99% of real digits of their class are
  (the class the classifier gives them). One line per class, because how near a real digit lies
  to its nearest training image depends on the class: a plain 1 lies far nearer than a 0 or an 8,
  so one line for all digits was the 1s' line: it flagged only 1s (10% of real 1s) and missed
  near-copies of every other class. The lines are the 1st percentiles of each training digit's
  distance to its nearest other training digit (leave-one-out: about 900 per class, where the
  held-out set has 100); real held-out digits then score about 1%
- memorised: share of samples far closer to one training image than to any other (nearest distance
  under a third of the second nearest), the test of Yoon et al., "Diffusion Probabilistic Models
  Generalize when They Fail to Memorize" (ICML 2023 workshop), also used by Gu et al., "On
  Memorization in Diffusion Models" (2023). Unlike copies it does not flag a sample that is merely
  near many training images of its class (a blurred digit, say)
The same figures for the held-out real digits are the reference. A VAE with a fitted latent prior
is also sampled from the standard prior N(0, I) (standard_prior: the plain VAE), the same seeds.
A diffusion model with a default guide (autoguidance) gets its no-label figures as users get them,
autoguided, and again unguided (unguided: guide model none), the same seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.model_cache import ModelCache
from engine.recipe import DEFAULT_STEPS, Recipe
from engine.recipe_fields import NO_GUIDE, STANDARD_PRIOR
from engine.training.classifier import DigitClassifier, predict
from engine.training.data import Digits, from_model_output
from engine.training.nearest import two_nearest
from engine.training.sampling import run_recipes, sample_recipes

CONFIDENCE = 0.9


MEMORISED_RATIO = 1 / 3  # nearest < this x second nearest: a copy of that one image (Yoon et al. 2023)


def figures(images: np.ndarray, classifier: DigitClassifier, train: Digits, asked: np.ndarray | None = None,
            copies_lines: list[float] | None = None) -> dict[str, Any]:
    """The figures of `images`; copies only with the reference's per-class lines (reference())."""
    return _figures(images, classifier, two_nearest(images, train.images)[0], asked, copies_lines)


def _figures(images: np.ndarray, classifier: DigitClassifier, distances: np.ndarray, asked: np.ndarray | None,
             copies_lines: list[float] | None) -> dict[str, Any]:
    """figures() given the samples' (N, 2) distances to their two nearest training images."""
    probabilities = predict(classifier, images)
    predicted = probabilities.argmax(1)
    histogram = np.bincount(predicted, minlength=10)
    nearest, second = distances.T
    result: dict[str, Any] = {
        "samples": len(images),
        "confident": round(float((probabilities.max(1) > CONFIDENCE).mean()), 4),
        "coverage": int((histogram >= max(1, 0.02 * len(images))).sum()),
        "histogram": histogram.tolist(),
        "nearest_train_median": round(float(np.median(nearest)), 3),
        "memorised": round(float((nearest < MEMORISED_RATIO * second).mean()), 4),
    }
    if asked is not None:
        result["label_accuracy"] = round(float((predicted == asked).mean()), 4)
        result["label_accuracy_confident"] = round(
            float(((predicted == asked) & (probabilities.max(1) > CONFIDENCE)).mean()), 4)
    if copies_lines is not None:  # each sample against the line of the class it is classified as
        result["copies"] = round(float((nearest < np.asarray(copies_lines)[predicted]).mean()), 4)
    return result


def class_copies_lines(train: Digits) -> list[float]:
    """Per class 0-9, the 1st percentile of its training digits' distances to their nearest other
    training digit: a sample nearer a training image than that is nearer than 99% of real digits of
    its class are. A class without training digits gets 0 (nothing of it counts as a copy)."""
    others = two_nearest(train.images, train.images, skip_duplicates=True)[0][:, 0]  # nearest other, different one
    return [round(float(np.percentile(others[train.labels == digit], 1)), 3) if (train.labels == digit).any()
            else 0.0 for digit in range(10)]


def reference(classifier: DigitClassifier, train: Digits, held_out: Digits) -> dict[str, Any]:
    """The figures of real held-out digits, with the per-class copies lines they and the samples are
    judged by (class_copies_lines; the held-out digits' own copies figure shows what the lines mean)."""
    lines = class_copies_lines(train)
    result = _figures(held_out.images, classifier, two_nearest(held_out.images, train.images)[0],
                      held_out.labels, lines)
    result["copies_lines"] = lines
    return result


# Runs every list of recipes it is given and returns each list's images (locally, or on a cluster).
Sampler = Callable[[list[list[Recipe]]], list[np.ndarray]]


def sample_here(requests: list[list[Recipe]]) -> list[np.ndarray]:
    cache = ModelCache()  # a fresh one: the weights of a model being trained are read anew
    return [run_recipes(recipes, cache) for recipes in requests]


def evaluate_model(model: Path | str, classifier: DigitClassifier, train: Digits, real: dict[str, Any],
                   count: int = 500, seed: int = 1000, steps: int = DEFAULT_STEPS, sample: Sampler = sample_here,
                   batch: int = 100) -> dict[str, Any]:
    """Figures for unconditional samples and, if the model has labels, for count/10 samples per label.
    `sample` runs all the sampling at once (engine/cluster/ray_evaluate.py spreads it over workers);
    the samples do not depend on `batch`, only how they are split into runs."""
    from engine.models import find_model

    info = find_model(str(model))
    lines = real["copies_lines"]
    steps = steps if info.family == "diffusion" else 1
    per_label = max(1, count // len(info.labels)) if info.labels else 0
    requests = [sample_recipes(model, count, seed=seed, steps=steps, batch=batch)]
    requests += [sample_recipes(model, per_label, seed=seed, label=label, steps=steps, batch=batch)
                 for label in info.labels or []]
    if info.latent_prior:  # the same seeds from N(0, I): the plain VAE, to show what the fitted prior gains
        requests.append(sample_recipes(model, count, seed=seed, steps=steps, batch=batch, latent_prior=STANDARD_PRIOR))
    if info.default_guide:  # the same seeds without the guide: the model alone, to show what autoguidance gains
        requests.append(sample_recipes(model, count, seed=seed, steps=steps, batch=batch, guide_model=NO_GUIDE))
    free, *rest = [from_model_output(images) for images in sample(requests)]
    if info.default_guide:
        *rest, unguided = rest
    labelled = rest[:len(info.labels or [])]
    result: dict[str, Any] = {"model": info.name, "family": info.family,
                              "sampler_steps": steps if info.family == "diffusion" else None,
                              "unconditional": figures(free, classifier, train, copies_lines=lines)}
    if info.labels:
        asked = np.repeat(np.arange(len(info.labels)), per_label)
        result["conditional"] = figures(np.concatenate(labelled), classifier, train, asked=asked, copies_lines=lines)
    if info.latent_prior:
        result["standard_prior"] = figures(rest[-1], classifier, train, copies_lines=lines)
    if info.default_guide:
        result["guide"] = info.default_guide
        result["unguided"] = figures(unguided, classifier, train, copies_lines=lines)
    return result
