"""Noisescope's engine: recipes in, events out. Imports no Qt; usable from scripts and tests."""

from engine.errors import NoisescopeError
from engine.events import Cancelled, Event, Failed, Finished, Started, Step
from engine.recipe import Recipe
from engine.run import run

__all__ = ["Cancelled", "Event", "Failed", "Finished", "NoisescopeError", "Recipe", "Started", "Step", "run"]
