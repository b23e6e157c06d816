"""Noisescope's engine: recipes in, events out. Imports no Qt; usable from scripts and tests.

`import engine` is torch-free (recipes, events, errors, kinds, model descriptions): the window
imports it at start-up. `engine.run` pulls in torch and diffusers on first use.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from engine import errors, events, kinds
from engine.errors import NoisescopeError
from engine.events import Cancelled, Event, Failed, Finished, Started, Step
from engine.kinds import ErrorKind, Family, Outcome
from engine.recipe import Recipe

if TYPE_CHECKING:
    from engine.run import run

__all__ = ["Cancelled", "ErrorKind", "Event", "Failed", "Family", "Finished", "NoisescopeError", "Outcome",
           "Recipe", "Started", "Step", "errors", "events", "kinds", "run"]


def __getattr__(name: str) -> Any:
    # `from engine import run` keeps working without making `import engine` load torch.
    if name == "run":
        from engine.run import run

        return run
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the submodule engine.run makes Python bind `engine.run` to that module, whichever
        # import comes first; the package's `run` must stay the function, as it was when imported eagerly.
        if name == "run" and isinstance(value, types.ModuleType):
            value = value.run
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
