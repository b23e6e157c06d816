"""run(recipe, cancel): the one way from a recipe to a stream of events.

Errors never escape as exceptions: a person's mistake or a bad model file becomes Failed with
a kind and a message saying what to do; a bug becomes Failed("internal", ...) with the
traceback logged.

The steps: find the model in the catalog, check the recipe against it, pick its pipeline from
the table (engine/pipelines/, by ModelInfo.pipeline), check its memory estimate against what is
free (engine/memory.py), load it through the cache, let the pipeline run. A recipe guided by a
weaker model (autoguidance, engine/autoguidance.py) has that guide checked against the model before
anything loads, counted in the estimate, and loaded the same way (its own cache slot).
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import torch

from engine.autoguidance import find_guide
from engine.device import pick_dtype, resolve_device
from engine.errors import NoisescopeError, OutOfMemory
from engine.events import Event, Failed
from engine.kinds import ErrorKind
from engine.memory import available_bytes, is_out_of_memory, too_large
from engine.model_cache import ModelCache, shared_model_cache
from engine.models.catalog import find_model
from engine.pipelines import get_pipeline
from engine.recipe import Recipe

log = logging.getLogger(__name__)


def run(recipe: Recipe, cancel: threading.Event | None = None, *, cache: ModelCache | None = None,
        extra_model_paths: Iterable[Path] = (), previews: bool = True) -> Iterator[Event]:
    resolved = recipe  # the model-checked recipe once known; events carry the best one we have
    device: torch.device | None = None
    failure: Failed | None = None
    try:
        info = find_model(recipe.model, extra_model_paths)
        resolved = recipe.check_against_model(info)
        pipeline = get_pipeline(info.pipeline, info.name)  # before loading: an unknown kind fails at once
        guide_info = find_guide(resolved, info, extra_model_paths)  # None: no autoguidance
        device = resolve_device(recipe.device)
        refusal = too_large(resolved, info, free_bytes(device), guide_info)  # before anything is allocated
        if refusal is not None:
            yield Failed(resolved, OutOfMemory.kind, refusal)
            return
        cache = cache or shared_model_cache()
        model = cache.get(info, device, pick_dtype(device))
        guide = cache.guide(guide_info, device, pick_dtype(device))  # same device and dtype as the model
        extra: dict[str, Any] = {"guide": guide} if guide is not None else {}  # only guide-taking pipelines
        yield from pipeline.run(model, resolved, cancel, previews=previews, **extra)  # Started first
    except NoisescopeError as exc:
        failure = Failed(resolved, exc.kind, exc.message)
    except Exception as exc:
        if is_out_of_memory(exc):
            failure = _out_of_memory(resolved, device)
        else:
            log.exception("run failed")
            failure = Failed(resolved, ErrorKind.INTERNAL, f"unexpected error: {type(exc).__name__}: {exc}")
    # Outside the except block: the exception's traceback (whose frames hold the run's tensors) is gone,
    # so its memory can be given back before the caller hears of the failure and starts the next run.
    if failure is not None:
        if failure.kind == ErrorKind.OUT_OF_MEMORY:
            release_memory()
        yield failure


def free_bytes(device: torch.device) -> int | None:
    """Memory the run may still take on its device (None: unknown, then nothing is refused)."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0] + torch.cuda.memory_reserved(device)  # ours is reusable
    return available_bytes() if device.type == "cpu" else None


def release_memory() -> None:
    """What a failed run left: tensors in reference cycles, and the GPU allocator's cached blocks."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if torch.backends.mps.is_available():
        torch.mps.empty_cache()


def _out_of_memory(recipe: Recipe, device: torch.device | None) -> Failed:
    return Failed(recipe, OutOfMemory.kind,
                  f"out of memory on {device or recipe.device}: try a smaller batch (now {recipe.batch}) or image "
                  "size, fewer steps, or keep fewer step previews (a lower preview budget); the run's memory "
                  "was freed, so the next run can start")

