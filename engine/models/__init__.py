"""Models: discovery (bundled, user folder, paths), safe loading, and the architectures we ship."""

from engine.models.info import ModelInfo
from engine.models.registry import default_model_name, discover_models, find_model

__all__ = ["ModelInfo", "default_model_name", "discover_models", "find_model"]
