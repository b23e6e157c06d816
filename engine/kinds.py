"""The engine's small vocabularies: model family, run outcome, error kind.

Each is a `str` Enum whose values are the words used before the enums existed, so recipes,
history rows, JSON and `== "finished"` comparisons see exactly what they saw before.
Torch-free: anything may import this at module top.
"""

from __future__ import annotations

from enum import Enum


class _Word(str, Enum):
    """A str Enum that prints as its value (f-strings, JSON, SQLite all see the plain word)."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class Family(_Word):
    DIFFUSION = "diffusion"
    VAE = "vae"
    GAN = "gan"


class Outcome(_Word):
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"


# (title shown above the message, hint saying what to do, CLI exit code: 2 = the person's to fix)
_ERRORS: dict[str, tuple[str, str, int]] = {
    "invalid_recipe": ("A setting does not fit", "Change the setting named above, then Generate again.", 2),
    "model_not_found": ("Model not found",
                        "Check the models folder (`noisescope models` lists what is found).", 2),
    "model_load": ("The model could not be loaded",
                   "Pick another model, or replace the damaged model folder and restart.", 2),
    "unsafe_model": ("Unsafe model file refused",
                     "This file would run code when loaded; use a safetensors model instead.", 2),
    "out_of_memory": ("Out of memory",
                      "Lower the batch size or the number of samples, then Generate again.", 2),
    "export": ("The export failed",
               "Choose another folder (or free some space), then export again; the run is still here.", 2),
    "history": ("The history could not be saved",
                "The run is still on screen: export it to keep it. Check that the data folder is writable.", 1),
    "internal": ("Something went wrong",
                 "This is a bug in Noisescope; the details are in the log. The window still works.", 1),
}


class ErrorKind(_Word):
    """Why a run or an action failed; carries the banner's title and hint and the CLI's exit code."""

    INVALID_RECIPE = "invalid_recipe"
    MODEL_NOT_FOUND = "model_not_found"
    MODEL_LOAD = "model_load"
    UNSAFE_MODEL = "unsafe_model"
    OUT_OF_MEMORY = "out_of_memory"
    EXPORT = "export"
    HISTORY = "history"
    INTERNAL = "internal"

    # Shadows str.title() on purpose: the agreed interface is `kind.title`, and nothing calls
    # str.title() on a kind.
    @property
    def title(self) -> str:  # type: ignore[override]
        return _ERRORS[self.value][0]

    @property
    def hint(self) -> str:
        return _ERRORS[self.value][1]

    @property
    def exit_code(self) -> int:
        return _ERRORS[self.value][2]

    @classmethod
    def of(cls, word: str) -> ErrorKind:
        """The kind for a stored or received word; unknown words are internal errors."""
        try:
            return cls(word)
        except ValueError:
            return cls.INTERNAL
