"""Dropping a file on the window restores its recipe: every export format's files in full (each
format reads its own, engine/export/formats/registry.py), other tools' files field by field,
with a message naming what was not restored.

Restoring is partial, never all-or-nothing: each restored field that is valid and fits the
current model is applied, the others are named ("not applied"). The file is read on the disk
thread when the window gives a `submit` (gui/disk_worker.py): a huge or slow file never freezes
the window; only the cheap part (fitting the fields to the controls) runs on the GUI thread.

install_recipe_drop(window, on_result) is the whole wiring; recipe_from_file is the part a
test or a File > Open action can call directly (synchronously).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QMimeData, QObject
from PySide6.QtWidgets import QWidget

from engine.errors import NoisescopeError
from engine.export.a1111 import RestoredRecipe
from engine.export.formats.registry import readable_suffixes
from engine.export.restore import read_recipe
from engine.export.trajectory_file import is_trajectory_name
from engine.recipe import Recipe

log = logging.getLogger(__name__)
ModelInfoOf = Callable[[str], Any]  # model name -> its ModelInfo, or None when not installed


@dataclass(frozen=True)
class DropResult:
    path: Path
    recipe: Recipe | None  # None when nothing could be restored (message says why)
    message: str
    unmapped: tuple[tuple[str, str], ...] = ()
    is_trajectory: bool = False  # the window may also open it for scrubbing
    not_applied: tuple[str, ...] = ()  # restored fields that did not fit (invalid, or not for this model)

    @property
    def ok(self) -> bool:
        return self.recipe is not None


@dataclass(frozen=True)
class DroppedFile:
    """What the disk thread read: the restored fields, or why there are none, and the installed
    model whose weights have the file's Model hash (if the file names one)."""

    path: Path
    restored: RestoredRecipe | None
    error: str = ""
    model_by_hash: str | None = None


def dropped_path(mime: QMimeData) -> Path | None:
    """The one local file in a drag whose kind can carry a recipe, else None."""
    if not mime.hasUrls():
        return None
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    if len(paths) != 1 or not paths[0].name.lower().endswith(readable_suffixes()):
        return None
    return paths[0]


def read_dropped(path: Path, catalog: Sequence[Any] = ()) -> DroppedFile:
    """On the disk thread: read the file's recipe; with a Model hash, find the installed model
    (among `catalog`, ModelInfos) whose weights hash to it (hashes are cached after the first)."""
    path = Path(path)
    try:
        restored = read_recipe(path)
    except NoisescopeError as exc:
        return DroppedFile(path, None, f"{path.name}: {exc.message}")
    except Exception as exc:  # a reader bug: said, never a silent drop
        log.exception("reading the dropped file %s failed", path)
        return DroppedFile(path, None, f"{path.name} could not be read ({type(exc).__name__}: {exc})")
    return DroppedFile(path, restored, model_by_hash=_model_with_hash(restored, catalog))


def _model_with_hash(restored: RestoredRecipe, catalog: Sequence[Any]) -> str | None:
    if not restored.model_hash or not catalog:
        return None
    if any(info.name == restored.fields.get("model") for info in catalog):
        return None  # the name found it already
    from engine.models.hashing import model_hash

    wanted = restored.model_hash.lower()
    return next((info.name for info in catalog if (model_hash(info) or "").lower() == wanted), None)


def recipe_from_file(path: Path, base: Recipe | None = None, known_models: Iterable[str] | None = None,
                     model_info: ModelInfoOf | None = None) -> DropResult:
    """The restored recipe over `base` (the controls' current one) and a message for a person.
    A model name not in known_models is not taken (the current model stays) and is named."""
    return apply_dropped(read_dropped(path), base, known_models, model_info)


def apply_dropped(read: DroppedFile, base: Recipe | None = None, known_models: Iterable[str] | None = None,
                  model_info: ModelInfoOf | None = None) -> DropResult:
    """On the GUI thread (cheap): the fields that fit over `base`, the rest named."""
    path, restored = read.path, read.restored
    is_trajectory = is_trajectory_name(path)
    if restored is None:
        return DropResult(path, None, read.error, is_trajectory=is_trajectory)
    fields = dict(restored.fields)
    notes = list(restored.notes)
    known = set(known_models) if known_models is not None else None
    if known is not None and "model" in fields and fields["model"] not in known:
        missing = fields.pop("model")
        if read.model_by_hash:
            fields["model"] = read.model_by_hash
            notes.append(f"model {missing!r} is installed as {read.model_by_hash!r} (found by its hash "
                         f"{restored.model_hash})")
        else:
            notes.append(f"model {missing!r} is not installed; the current model is kept")
    elif known is not None and "model" not in fields and read.model_by_hash:
        fields["model"] = read.model_by_hash
        notes.append(f"model {read.model_by_hash!r} found by its hash {restored.model_hash}")
    recipe, not_applied = fit_fields(base or Recipe(), fields, model_info)
    applied = sorted(name for name in fields if name not in {n.split(" ", 1)[0] for n in not_applied})
    if not applied:
        return DropResult(path, None, f"{path.name}: nothing in it fits the current controls: "
                          + "; ".join(not_applied), restored.unmapped, is_trajectory, tuple(not_applied))
    message = f"Restored {', '.join(applied)} from {path.name}."
    if not_applied:
        message += " Not applied: " + "; ".join(not_applied) + "."
    if restored.unmapped:
        message += " Not restored: " + ", ".join(key for key, _ in restored.unmapped) + "."
    for note in notes:
        message += f" Note: {note}."
    return DropResult(path, recipe, message, restored.unmapped, is_trajectory, tuple(not_applied))


def fit_fields(base: Recipe, fields: dict[str, Any], model_info: ModelInfoOf | None) -> tuple[Recipe, list[str]]:
    """Apply each valid field; then, where the result does not fit its model, leave out the
    fields whose own value is what does not fit (one at a time). Returns (recipe, "field (why)")."""
    recipe, not_applied = base, []
    ordered = sorted(fields, key=lambda name: name not in ("model", "family"))  # the model decides the rest
    for name in ordered:
        try:
            recipe = recipe.replace(**{name: fields[name]})
        except NoisescopeError as exc:
            not_applied.append(f"{name} ({exc.message})")
    info = model_info(recipe.model) if model_info is not None and recipe.model else None
    if info is None:
        return recipe, not_applied
    for _ in range(len(fields)):
        problem = _misfit(recipe, info)
        if problem is None:
            break
        for name in ordered:
            if name == "model" or getattr(recipe, name) == getattr(base, name):
                continue
            try:
                candidate = recipe.replace(**{name: getattr(base, name)})
            except NoisescopeError:  # e.g. a branch must keep its parent's size: try another field
                continue
            if _misfit(candidate, info) != problem:
                recipe = candidate
                not_applied.append(f"{name} ({problem} for {info.name})")
                break
        else:
            break
    return recipe, not_applied


def _misfit(recipe: Recipe, info: Any) -> str | None:
    try:
        recipe.check_against_model(info)
    except NoisescopeError as exc:
        return exc.message
    return None


class RecipeDropFilter(QObject):
    """An event filter that makes a widget accept recipe files and report each drop."""

    def __init__(self, on_result: Callable[[DropResult], None], base: Callable[[], Recipe | None] = lambda: None,
                 known_models: Callable[[], Iterable[str] | None] = lambda: None, parent: QObject | None = None,
                 submit: Callable[..., Any] | None = None, model_info: ModelInfoOf | None = None,
                 catalog: Callable[[], Sequence[Any]] = lambda: ()):
        super().__init__(parent)
        self.on_result, self.base, self.known_models = on_result, base, known_models
        self.submit, self.model_info, self.catalog = submit, model_info, catalog
        self.pending = 0  # drops being read on the disk thread

    def read(self, path: Path) -> None:
        """Read the file (on the disk thread when there is one), then report the result."""
        if self.submit is None:
            self.finish(read_dropped(path, self.catalog()))
            return
        try:
            future = self.submit(read_dropped, path, tuple(self.catalog()))
        except RuntimeError:  # the disk worker closed: the window is going away
            return
        self.pending += 1
        future.add_done_callback(self._read_done)

    def _read_done(self, future) -> None:
        self.pending -= 1
        if future.cancelled():
            return
        problem = future.exception()
        if problem is not None:
            log.error("reading a dropped file failed", exc_info=problem)
            self.on_result(DropResult(Path(), None, f"the dropped file could not be read: {problem}"))
            return
        self.finish(future.result())

    def finish(self, read: DroppedFile) -> None:
        self.on_result(apply_dropped(read, self.base(), self.known_models(), self.model_info))

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
            self.read(path)  # returns at once where there is a disk thread
            return True
        return False


def install_recipe_drop(widget: QWidget, on_result: Callable[[DropResult], None],
                        base: Callable[[], Recipe | None] = lambda: None,
                        known_models: Callable[[], Iterable[str] | None] = lambda: None,
                        submit: Callable[..., Any] | None = None, model_info: ModelInfoOf | None = None,
                        catalog: Callable[[], Sequence[Any]] = lambda: ()) -> RecipeDropFilter:
    """Make `widget` (the main window) accept dropped recipe files. `submit` (DiskWorker.submit)
    moves the reading off the GUI thread; `model_info` and `catalog` fit the fields to the models."""
    drop_filter = RecipeDropFilter(on_result, base, known_models, widget, submit, model_info, catalog)
    widget.setAcceptDrops(True)
    widget.installEventFilter(drop_filter)
    return drop_filter
