"""Keeps the last loaded model so the next run on it starts at once."""

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

    def get(self, info: ModelInfo, device: torch.device, dtype: torch.dtype) -> LoadedModel:
        key = (info.source, info.format, str(device), dtype)
        with self._lock:
            if self._key != key or self._model is None:
                self._model = None  # drop the old one first: two models may not fit together
                model: LoadedModel = load_model(info, device, dtype)
                self._model, self._key = model, key
                return model
            return self._model

    def clear(self) -> None:
        with self._lock:
            self._key, self._model = None, None
