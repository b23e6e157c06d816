"""An evaluation's sampling spread over a RayPool: every run of every request sent at once.

engine.training.evaluate asks for lists of recipes (the unconditional samples, then each label's);
they are flattened into one list for ray_dispatch, so all workers stay busy across the requests,
and each request's images are put back together in order. Only the final images travel back
(no step previews). The figures are computed here, on the caller's machine, as locally.
"""

from __future__ import annotations

import math

import numpy as np

from engine.cluster.ray_dispatch import run_on_workers
from engine.cluster.ray_import import ClusterError
from engine.cluster.ray_pool import RayPool
from engine.recipe import Recipe
from engine.training.evaluate import Sampler

CALLS_PER_WORKER = 4  # an evaluation's samples are split into this many runs per worker, to balance them


def batch_for(count: int, workers: int, largest: int = 100) -> int:
    """Samples per run: small enough that every worker gets several runs, at most `largest`."""
    return max(1, min(largest, math.ceil(count / (workers * CALLS_PER_WORKER))))


def sample_on_ray(pool: RayPool) -> Sampler:
    def sample(requests: list[list[Recipe]]) -> list[np.ndarray]:
        flat = [recipe for recipes in requests for recipe in recipes]
        finals: dict[int, np.ndarray] = {}
        for arrival in run_on_workers(pool, flat, previews=False):
            if arrival.failed is not None or arrival.trajectory.final is None:
                message = arrival.failed.message if arrival.failed is not None else "no images"
                raise ClusterError(f"sampling {flat[arrival.number].model} failed: {message}")
            finals[arrival.number] = np.asarray(arrival.trajectory.final)
        images, at = [], 0
        for recipes in requests:
            images.append(np.concatenate([finals[at + i] for i in range(len(recipes))]))
            at += len(recipes)
        return images

    return sample
