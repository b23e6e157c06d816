"""Keeps the last loaded model (and the last guide model, for autoguidance) so the next run on
them starts at once."""

from __future__ import annotations

import threading

import torch

from engine.models.info import ModelInfo
from engine.models.loaded import LoadedModel
from engine.models.registry import load_model


class ModelCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, str, str, torch.dtype] | None = None
        self._model: LoadedModel | None = None
        self._guide_key: tuple[str, str, str, torch.dtype] | None = None
        self._guide: LoadedModel | None = None  # a guide model (engine/autoguidance.py), held apart from the model

    def get(self, info: ModelInfo, device: torch.device, dtype: torch.dtype) -> LoadedModel:
        key = (info.source, info.format, str(device), dtype)
        with self._lock:
            if self._key != key or self._model is None:
                self._model = None  # drop the old one first: two models may not fit together
                model: LoadedModel = load_model(info, device, dtype)
                self._model, self._key = model, key
                return model
            return self._model

    def guide(self, info: ModelInfo | None, device: torch.device, dtype: torch.dtype) -> LoadedModel | None:
        """The run's guide model, loaded as `get` loads a model, in a slot of its own (a run holds both);
        None: the run has none, and the one held is dropped."""
        key = None if info is None else (info.source, info.format, str(device), dtype)
        with self._lock:
            if self._guide_key != key or (key is not None and self._guide is None):
                self._guide, self._guide_key = None, None
                if info is not None:
                    self._guide = load_model(info, device, dtype)
                    self._guide_key = key
            return self._guide

    def clear(self) -> None:
        with self._lock:
            self._key, self._model = None, None
            self._guide_key, self._guide = None, None


_shared = ModelCache()


def shared_model_cache() -> ModelCache:
    """The cache run() uses when given none: whatever else loads through it (a VAE encode, the branch
    CLI's step count) leaves the model loaded for the run that follows, and one model is held, not two
    (besides a guided run's guide model, in a slot of its own)."""
    return _shared
