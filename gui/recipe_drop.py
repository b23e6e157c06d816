"""Dropping a file on the window restores its recipe: every export format's files in full (each
format reads its own, engine/export/formats/registry.py), an A1111 PNG field by field, with a
message naming what was not restored.

install_recipe_drop(window, on_result) is the whole wiring; recipe_from_file is the part a
test or a File > Open action can call directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject
from PySide6.QtWidgets import QWidget

from engine.errors import NoisescopeError
from engine.export.formats.registry import readable_suffixes
from engine.export.restore import read_recipe
from engine.export.trajectory_file import is_trajectory_name
from engine.recipe import Recipe


@dataclass(frozen=True)
class DropResult:
    path: Path
    recipe: Recipe | None  # None when nothing could be restored (message says why)
    message: str
    unmapped: tuple[tuple[str, str], ...] = ()
    is_trajectory: bool = False  # the window may also open it for scrubbing

    @property
    def ok(self) -> bool:
        return self.recipe is not None


def dropped_path(mime: QMimeData) -> Path | None:
    """The one local file in a drag whose kind can carry a recipe, else None."""
    if not mime.hasUrls():
        return None
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    if len(paths) != 1 or not paths[0].name.lower().endswith(readable_suffixes()):
        return None
    return paths[0]


def recipe_from_file(path: Path, base: Recipe | None = None,
                     known_models: Iterable[str] | None = None) -> DropResult:
    """The restored recipe over `base` (the controls' current one) and a message for a person.
    A model name not in known_models is not taken (the current model stays) and is named."""
    path = Path(path)
    is_trajectory = is_trajectory_name(path)
    try:
        restored = read_recipe(path)
    except NoisescopeError as exc:
        return DropResult(path, None, f"{path.name}: {exc.message}", is_trajectory=is_trajectory)
    fields = dict(restored.fields)
    notes = list(restored.notes)
    known = set(known_models) if known_models is not None else None
    if known is not None and fields.get("model") not in known and "model" in fields:
        notes.append(f"model {fields.pop('model')!r} is not installed; the current model is kept")
    try:
        recipe = (base or Recipe()).replace(**fields)
    except NoisescopeError as exc:
        return DropResult(path, None, f"{path.name}: its recipe does not fit: {exc.message}", restored.unmapped,
                          is_trajectory)
    taken = ", ".join(sorted(fields)) or "nothing"
    message = f"Restored {taken} from {path.name}."
    if restored.unmapped:
        message += " Not restored: " + ", ".join(key for key, _ in restored.unmapped) + "."
    for note in notes:
        message += f" Note: {note}."
    return DropResult(path, recipe, message, restored.unmapped, is_trajectory)


class RecipeDropFilter(QObject):
    """An event filter that makes a widget accept recipe files and report each drop."""

    def __init__(self, on_result: Callable[[DropResult], None], base: Callable[[], Recipe | None] = lambda: None,
                 known_models: Callable[[], Iterable[str] | None] = lambda: None, parent: QObject | None = None):
        super().__init__(parent)
        self.on_result, self.base, self.known_models = on_result, base, known_models

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if dropped_path(event.mimeData()) is not None:
                event.acceptProposedAction()
                return True
            return False
        if kind == QEvent.Type.Drop:
            path = dropped_path(event.mimeData())
            if path is None:
                return False
            event.acceptProposedAction()
            self.on_result(recipe_from_file(path, self.base(), self.known_models()))
            return True
        return False


def install_recipe_drop(widget: QWidget, on_result: Callable[[DropResult], None],
                        base: Callable[[], Recipe | None] = lambda: None,
                        known_models: Callable[[], Iterable[str] | None] = lambda: None) -> RecipeDropFilter:
    """Make `widget` (the main window) accept dropped recipe files."""
    drop_filter = RecipeDropFilter(on_result, base, known_models, widget)
    widget.setAcceptDrops(True)
    widget.installEventFilter(drop_filter)
    return drop_filter
