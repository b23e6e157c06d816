"""Errors a person can act on.

Every error the engine raises on purpose is a NoisescopeError with a `kind` (an ErrorKind: a
stable word the GUI and CLI can switch on, carrying its title, hint and exit code) and a message
that says what is wrong and what to do.
Anything else that escapes is a bug and is reported as kind "internal".
"""

from __future__ import annotations

from engine.kinds import ErrorKind


class NoisescopeError(Exception):
    kind: ErrorKind = ErrorKind.INTERNAL

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidRecipe(NoisescopeError):
    """A setting is out of range or does not fit the model."""

    kind = ErrorKind.INVALID_RECIPE


class ModelNotFound(NoisescopeError):
    kind = ErrorKind.MODEL_NOT_FOUND


class ModelLoadError(NoisescopeError):
    """A model file or folder exists but cannot be read: corrupt, truncated, wrong layout."""

    kind = ErrorKind.MODEL_LOAD


class UnsafeModelFile(ModelLoadError):
    """A pickle that would need to run code to load; refused, never executed."""

    kind = ErrorKind.UNSAFE_MODEL


class OutOfMemory(NoisescopeError):
    kind = ErrorKind.OUT_OF_MEMORY


class ExportError(NoisescopeError):
    kind = ErrorKind.EXPORT


class CompareError(NoisescopeError):
    """Runs that cannot be compared: too few or too many, no steps, different image sizes."""

    kind = ErrorKind.EXPORT
