"""Pixel-space diffusion with an optional class label (bundled UNets and diffusers UNet2DModel folders)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from engine.autoguidance import is_autoguided, loaded_problem
from engine.diffusion_loop import denoise
from engine.errors import InvalidRecipe
from engine.events import Event
from engine.models.loaded import DiffusionModel
from engine.pipelines import expect_model, register_pipeline
from engine.recipe import Recipe


class ClassConditionalDiffusion:
    key = "class-conditional-diffusion"
    takes_guide = True  # run() hands it the recipe's guide model (autoguidance), loaded like the model

    def run(self, model: DiffusionModel, recipe: Recipe, cancel: threading.Event | None, *,
            previews: bool = True, guide: DiffusionModel | None = None) -> Iterator[Event]:
        expect_model(model, DiffusionModel, self.key)
        if guide is not None:
            expect_model(guide, DiffusionModel, self.key)
            problem = loaded_problem(model, guide)
            if problem is not None:
                raise InvalidRecipe(problem)
        if is_autoguided(recipe) and guide is None:  # a caller that skipped engine.run's loading
            raise InvalidRecipe(f"the recipe is guided by {recipe.guide_model}, which was not loaded: run it "
                                "through engine.run")
        yield from denoise(model, recipe, cancel, previews=previews, guide=guide)


register_pipeline(ClassConditionalDiffusion())
