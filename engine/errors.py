"""Errors a person can act on.

Every error the engine raises on purpose is a NoisescopeError with a `kind` (a short stable
word the GUI and CLI can switch on) and a message that says what is wrong and what to do.
Anything else that escapes is a bug and is reported as kind "internal".
"""

from __future__ import annotations


class NoisescopeError(Exception):
    kind = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidRecipe(NoisescopeError):
    """A setting is out of range or does not fit the model."""

    kind = "invalid_recipe"


class ModelNotFound(NoisescopeError):
    kind = "model_not_found"


class ModelLoadError(NoisescopeError):
    """A model file or folder exists but cannot be read: corrupt, truncated, wrong layout."""

    kind = "model_load"


class UnsafeModelFile(ModelLoadError):
    """A pickle that would need to run code to load; refused, never executed."""

    kind = "unsafe_model"


class OutOfMemory(NoisescopeError):
    kind = "out_of_memory"


class ExportError(NoisescopeError):
    kind = "export"
