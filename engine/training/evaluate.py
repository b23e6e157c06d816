"""Quality figures for a digits model, sampled through engine.run exactly as users get them.

- confident: share of samples the classifier gives > 0.9 probability (recognisable digits)
- histogram / coverage: the classes the samples are classified as (and how many of the ten)
- label_accuracy: for conditional models, share classified as the label that was asked for
- nearest_train: median L2 distance (pixels in [0, 1], 28x28) from each sample to its nearest
  training image; real held-out digits give the reference: a model that copies its training
  images scores far below it (copies: share closer than the 1st percentile of real digits)
- memorised: share of samples far closer to one training image than to any other (nearest distance
  under a third of the second nearest), the test of Yoon et al., "Diffusion Probabilistic Models
  Generalize when They Fail to Memorize" (ICML 2023 workshop), also used by Gu et al., "On
  Memorization in Diffusion Models" (2023). Unlike copies it does not flag a plain stroke such as a
  1 that is merely near many training 1s (10% of real held-out 1s are under the copies line)
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
import torch

from engine.model_cache import ModelCache
from engine.recipe import DEFAULT_STEPS, Recipe
from engine.recipe_fields import NO_GUIDE, STANDARD_PRIOR
from engine.training.classifier import DigitClassifier, predict
from engine.training.data import Digits, from_model_output
from engine.training.sampling import run_recipes, sample_recipes

CONFIDENCE = 0.9


MEMORISED_RATIO = 1 / 3  # nearest < this x second nearest: a copy of that one image (Yoon et al. 2023)


def two_nearest_distances(samples: np.ndarray, train: np.ndarray, batch: int = 500) -> np.ndarray:
    """uint8 (N, 28, 28) x uint8 (M, 28, 28) -> (N, 2): L2 distances of each sample to its nearest and
    second nearest training images."""
    reference = torch.from_numpy(train.reshape(len(train), -1).astype(np.float32) / 255)
    queries = torch.from_numpy(samples.reshape(len(samples), -1).astype(np.float32) / 255)
    return torch.cat([torch.cdist(queries[i:i + batch], reference).topk(2, dim=1, largest=False).values
                      for i in range(0, len(queries), batch)]).numpy()


def figures(images: np.ndarray, classifier: DigitClassifier, train: Digits, asked: np.ndarray | None = None,
            real_floor: float | None = None) -> dict[str, Any]:
    return _figures(images, classifier, two_nearest_distances(images, train.images), asked, real_floor)


def _figures(images: np.ndarray, classifier: DigitClassifier, distances: np.ndarray, asked: np.ndarray | None,
             real_floor: float | None) -> dict[str, Any]:
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
    if real_floor is not None:
        result["copies"] = round(float((nearest < real_floor).mean()), 4)
    return result


def reference(classifier: DigitClassifier, train: Digits, held_out: Digits) -> dict[str, Any]:
    distances = two_nearest_distances(held_out.images, train.images)  # found once: the floor and the figures
    result = _figures(held_out.images, classifier, distances, held_out.labels, None)
    result["first_percentile_nearest"] = round(float(np.percentile(distances[:, 0], 1)), 3)
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
    floor = real["first_percentile_nearest"]
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
                              "unconditional": figures(free, classifier, train, real_floor=floor)}
    if info.labels:
        asked = np.repeat(np.arange(len(info.labels)), per_label)
        result["conditional"] = figures(np.concatenate(labelled), classifier, train, asked=asked, real_floor=floor)
    if info.latent_prior:
        result["standard_prior"] = figures(rest[-1], classifier, train, real_floor=floor)
    if info.default_guide:
        result["guide"] = info.default_guide
        result["unguided"] = figures(unguided, classifier, train, real_floor=floor)
    return result
