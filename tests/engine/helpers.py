"""Running the engine to completion in tests."""

from __future__ import annotations

import threading

from engine import Recipe, run
from engine.events import Failed, Finished, Step


def events_of(recipe: Recipe, cancel: threading.Event | None = None, **kwargs) -> list:
    return list(run(recipe, cancel, **kwargs))


def finished_images(recipe: Recipe, **kwargs):
    events = events_of(recipe, **kwargs)
    last = events[-1]
    assert isinstance(last, Finished), f"run ended with {last!r}"
    return last.images


def failure_of(recipe: Recipe, **kwargs) -> Failed:
    events = events_of(recipe, **kwargs)
    assert isinstance(events[-1], Failed), f"expected a failure, got {events[-1]!r}"
    assert not any(isinstance(e, (Step, Finished)) for e in events)
    return events[-1]
