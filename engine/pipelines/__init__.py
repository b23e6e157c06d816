"""Pipelines: how a loaded model of one kind turns a recipe into events.

ModelInfo.pipeline names the pipeline; run() looks it up here instead of asking the model's
class. The built-in ones are imported on first use (they import torch); a new kind of model
(text-to-image, say) is one module that calls register_pipeline plus its row in PIPELINE_MODULES.
This module itself is torch-free.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from typing import Any, Protocol

from engine.errors import ModelLoadError
from engine.events import Event
from engine.recipe import Recipe

# key -> the module that registers it (imported the first time the key is asked for)
PIPELINE_MODULES = {
    "class-conditional-diffusion": "engine.pipelines.class_conditional_diffusion",
    "decoder": "engine.pipelines.decoder",
    "text-to-image": "engine.pipelines.text_to_image",
}


class Pipeline(Protocol):
    key: str

    def run(self, model: Any, recipe: Recipe, cancel: threading.Event | None, *,
            previews: bool = True) -> Iterator[Event]:
        """Yields Started first (once the step count is known), then Steps, then Finished or Cancelled.
        `model` is what the model's format loaded; `recipe` is already checked against the model."""


_pipelines: dict[str, Pipeline] = {}


def register_pipeline(pipeline: Pipeline) -> Pipeline:
    _pipelines[pipeline.key] = pipeline
    return pipeline


def known_pipelines() -> list[str]:
    return sorted(set(PIPELINE_MODULES) | set(_pipelines))


def get_pipeline(key: str, model_name: str = "") -> Pipeline:
    """The pipeline for a ModelInfo.pipeline key; ModelLoadError names the known ones."""
    if key not in _pipelines and key in PIPELINE_MODULES:
        importlib.import_module(PIPELINE_MODULES[key])
    if key in _pipelines:
        return _pipelines[key]
    which = f"model {model_name!r} asks for" if model_name else "asked for"
    raise ModelLoadError(f"{which} pipeline {key!r}, which this version of Noisescope does not have "
                         f"(known pipelines: {', '.join(known_pipelines())}); update Noisescope or pick "
                         "another model")


def expect_model(model: Any, kind: type, pipeline: str) -> None:
    """A clear error when a format hands a pipeline the wrong sort of loaded model."""
    if not isinstance(model, kind):
        raise ModelLoadError(f"{model.info.name if hasattr(model, 'info') else 'the model'}: pipeline "
                             f"{pipeline!r} needs a {kind.__name__}, but its format loaded a "
                             f"{type(model).__name__}")
