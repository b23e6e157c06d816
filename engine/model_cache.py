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
        self._key: tuple | None = None
        self._model: LoadedModel | None = None

    def get(self, info: ModelInfo, device: torch.device, dtype: torch.dtype) -> LoadedModel:
        key = (info.source, info.format, str(device), dtype)
        with self._lock:
            if self._key != key:
                self._model = None  # drop the old one first: two models may not fit together
                self._model = load_model(info, device, dtype)
                self._key = key
            return self._model

    def clear(self) -> None:
        with self._lock:
            self._key, self._model = None, None
