"""Pixel-space diffusion with an optional class label (bundled UNets and diffusers UNet2DModel folders)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from engine.diffusion_loop import denoise
from engine.events import Event
from engine.models.loaded import DiffusionModel
from engine.pipelines import expect_model, register_pipeline
from engine.recipe import Recipe


class ClassConditionalDiffusion:
    key = "class-conditional-diffusion"

    def run(self, model: DiffusionModel, recipe: Recipe, cancel: threading.Event | None, *,
            previews: bool = True) -> Iterator[Event]:
        expect_model(model, DiffusionModel, self.key)
        yield from denoise(model, recipe, cancel, previews=previews)


register_pipeline(ClassConditionalDiffusion())
