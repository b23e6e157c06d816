"""Models: the catalog of what is on disk (torch-free), formats, safe loading, architectures.

Importing this package never imports torch; loading a model (registry.load_model) does.
"""

from engine.models.catalog import default_model_name, discover_models, find_model
from engine.models.info import ModelInfo

__all__ = ["ModelInfo", "default_model_name", "discover_models", "find_model"]
