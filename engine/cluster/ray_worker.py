"""What runs inside one Ray actor: a model cache of its own and the engine's run(), nothing else.

The actor is made from this plain class by ray_pool (ray.remote(...)(RecipeWorker)), so this
module never imports ray. A worker keeps its model loaded between cells (ModelCache), so a sweep
over seeds or samplers loads it once per worker. Results are plain picklable values: the run's
Trajectory (final images, recipe, step previews when asked) and the Failed event if it failed.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.events import Failed
from engine.recipe import Recipe
from engine.trajectory import Trajectory


class RecipeWorker:
    def __init__(self, extra_model_paths: list[Path], threads: int | None) -> None:
        import torch

        from engine.model_cache import ModelCache
        from engine.threads import apply_threads

        # Several workers share a machine: each takes its share of the cores (engine/threads.py
        # explains why oversubscribed OpenMP threads cost far more than they bring).
        if threads is not None:
            torch.set_num_threads(threads)
        else:
            apply_threads(gui=False)  # reads OMP_NUM_THREADS, which Ray sets to the actor's CPUs
        self._cache = ModelCache()
        self._paths = list(extra_model_paths)

    def run_recipe(self, recipe: Recipe, previews: bool = True) -> tuple[Trajectory, Failed | None]:
        """Run one recipe (a cell, or a group of seeds as one batch) to its end."""
        from engine.run import run

        trajectory, failed = Trajectory(), None
        for event in run(recipe, cache=self._cache, extra_model_paths=self._paths, previews=previews):
            trajectory.record(event)
            if isinstance(event, Failed):
                failed = event
        return trajectory, failed

    def pid(self) -> int:
        return os.getpid()
