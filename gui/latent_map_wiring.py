"""The Latent map dock: what the view asks for, done on the engine thread, shown when it comes back.

Everything that touches torch runs as an EngineAdapter `call` job on the engine worker (the GUI
thread only awaits). A drag is coalesced: one decode is in flight at a time and only the newest
point waits behind it, so points passed over while a decode ran are dropped, never queued up.
A result made for an older plane (the model, kind, seed or class changed since) is not shown.

VAE and GAN: the map is the plane's n x n grid of decodes (engine/latent_map/make.py), the sample
the decode at the point. Diffusion: the seed plane; each cell and each dragged point is a few-step
run of the point's recipe (engine/latent_map/seed_map.py), and releasing the point starts the full
recipe through RunController.start, so it streams into the viewer and lands in the history like
any run, its recipe carrying the seeds and the point. Nothing runs while the dock is hidden.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget

from engine.errors import InvalidRecipe, NoisescopeError
from engine.kinds import ErrorKind, Family
from engine.latent_map.plane import grid_coordinates
from engine.latent_map.seed_map import SeedSquare, point_recipe, preview_recipe
from engine.recipe import Recipe
from gui.latent_map_view import LatentMapView
from gui.tasks import TaskKeeper

log = logging.getLogger(__name__)
DECODER_CELLS = 9  # a VAE's or GAN's map: 81 decodes, one batch
SEED_CELLS = 5  # a diffusion map: 25 few-step runs, one by one
TEXT_SEED_CELLS = 3  # a text-to-image model's steps cost seconds on a CPU: 9 cells
DOCK_WIDTH = 560
REFRESH_MS = 250  # the form's fields settle (typing a number) before a diffusion map is redrawn


@dataclass(frozen=True)
class Ask:
    generation: int
    u: float
    v: float
    at: float  # perf_counter when the person moved the point


class LatestOnly:
    """One request at a time; a newer one replaces the one waiting, which is dropped."""

    def __init__(self, tasks: TaskKeeper, work: Callable[[Any], Awaitable[None]]):
        self.tasks, self.work = tasks, work
        self.pending: Any = None
        self.dropped = 0
        self.task = None

    def ask(self, request: Any) -> None:
        if self.pending is not None:
            self.dropped += 1
        self.pending = request
        if self.task is None or self.task.done():
            self.task = self.tasks.spawn(self._drain(), name="latent-map-point")

    @property
    def idle(self) -> bool:
        return self.pending is None and (self.task is None or self.task.done())

    async def _drain(self) -> None:
        while self.pending is not None:
            request, self.pending = self.pending, None
            await self.work(request)


# -- on the engine thread -------------------------------------------------------------------------------
def _decoder(cache, name: str):
    from engine.device import pick_dtype, resolve_device
    from engine.models.catalog import find_model
    from engine.models.loaded import DecoderModel

    info = find_model(name)
    device = resolve_device("auto")
    model = cache.get(info, device, pick_dtype(device))
    if not isinstance(model, DecoderModel):
        raise InvalidRecipe(f"model {name} is not a VAE or GAN")
    return model


def plane_on_worker(name: str, kind: str, seed: int, label: str | None, cells: int, cache):
    from engine.latent_map.make import decode_grid, make_plane

    model = _decoder(cache, name)
    plane = make_plane(model, kind, seed, label)
    return plane, decode_grid(model, plane, cells)


def decode_on_worker(name: str, plane, u: float, v: float, cache) -> np.ndarray:
    from engine.latent_map.make import decode_latents
    from engine.latent_map.plane import point

    return decode_latents(_decoder(cache, name), point(plane, u, v)[None], plane.label)[0]


def preview_on_worker(recipe: Recipe, cache) -> np.ndarray:
    from engine.events import Failed, Finished
    from engine.run import run

    for event in run(recipe, cache=cache, previews=False):
        if isinstance(event, Failed):
            error = NoisescopeError(event.message)
            error.kind = event.kind  # the banner's title and hint, as the run's
            raise error
        if isinstance(event, Finished):
            return event.images[0]
    raise NoisescopeError("the preview run stopped without a picture")


# -- the dock --------------------------------------------------------------------------------------------
class LatentMapWiring(QObject):
    def __init__(self, window, vm, adapter, controller):
        super().__init__(window)
        self.window, self.vm, self.adapter, self.controller = window, vm, adapter, controller
        self.tasks = TaskKeeper(self._task_failed)
        self.view = LatentMapView()
        self.dock = window.add_panel("Latent map", self.view)  # the gallery's tab group sets the width
        gallery = window.findChild(QDockWidget, "dock-gallery")
        if gallery is not None:
            window.tabifyDockWidget(gallery, self.dock)
        self.dock.hide()  # View > Latent map (Ctrl+Shift+L) shows it
        toggle = self.dock.toggleViewAction()
        toggle.setShortcut(QKeySequence("Ctrl+Shift+L"))
        toggle.setStatusTip("Walk through a plane of the model's latent space (VAE, GAN) or between four seeds "
                            "(diffusion)")
        window.addAction(toggle)
        toggle.triggered.connect(self._shown_from_menu)
        self.dock.visibilityChanged.connect(lambda shown: shown and self.refresh())
        self._widened = False
        self.generation = 0
        self.ready = False  # the map of the current plane is drawn (tests and the bench wait for it)
        self.shown_key: tuple | None = None
        self.plane = None
        self.model: str | None = None
        self.square: SeedSquare | None = None
        self.base: Recipe | None = None  # a diffusion map's settings (the form's)
        self.grid_task = None
        self.points = LatestOnly(self.tasks, self._show_point)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self.view.planeRequested.connect(self.refresh)
        self.view.pointDragged.connect(self.drag)
        self.view.pointReleased.connect(self.release)
        vm.form.catalogChanged.connect(self._timer.start)
        vm.form.fieldsChanged.connect(self._timer.start)

    def _shown_from_menu(self, shown: bool) -> None:
        """Brought to the front of its tab group and, the first time, given room for the map beside the
        sample (the group keeps the gallery's width until then, so the window's first layout is unchanged)."""
        if not shown:
            return
        self.dock.raise_()
        if not self._widened:
            self._widened = True
            width = min(DOCK_WIDTH, self.window.width() * 2 // 5)
            if width > self.dock.width():
                self.window.resizeDocks([self.dock], [width], Qt.Orientation.Horizontal)

    # -- the map ----------------------------------------------------------------------------------
    def _key(self) -> tuple | None:
        info = self.vm.form.model_info()
        if info is None:
            return None
        if info.family == Family.DIFFUSION:
            return info.name, Family.DIFFUSION, self.view.seed.value(), self._base_json()
        return (info.name, str(info.family), *self.view.choices())

    def _base_json(self) -> str:
        try:
            return self.vm.form.build_recipe().replace(seed=0).to_json()
        except NoisescopeError as exc:
            return f"invalid: {exc.message}"

    def refresh(self) -> None:
        """Draw the map again if what it shows has changed (and the dock is on screen)."""
        if not self.dock.isVisible():
            return
        info = self.vm.form.model_info()
        family = None if info is None else str(info.family)
        if family != self.view.family or (info is not None and info.name != self.model):
            label = self.vm.form.fields.label if info is not None and info.labels else None
            self.view.set_family(family, tuple(info.labels or ()) if info is not None else (), label)
        key = self._key()
        if key == self.shown_key:
            return
        self.shown_key, self.generation = key, self.generation + 1
        self.model = None if info is None else info.name
        self.plane, self.square, self.base = None, None, None  # the old map's: no drag may use them now
        self.ready = False
        if self.grid_task is not None:
            self.grid_task.cancel()
        self.view.set_plane(None, "")
        self.view.sample.set_image(None)
        self.view.set_busy("Drawing the map…")
        if info is None:
            self.view.set_busy("Pick a model in the Recipe panel")
        elif info.family == Family.DIFFUSION:
            self.grid_task = self.tasks.spawn(self._draw_seed_map(self.generation), name="latent-map-seeds")
        else:
            self.grid_task = self.tasks.spawn(self._draw_plane(self.generation, info.name), name="latent-map-plane")

    async def _draw_plane(self, generation: int, name: str) -> None:
        kind, seed, label = self.view.choices()
        try:
            plane, grid = await self.adapter.call(partial(plane_on_worker, name, kind, seed, label, DECODER_CELLS))
        except NoisescopeError as exc:
            self._failed(generation, exc.message)
            return
        if generation != self.generation:
            return
        self.plane, self.square = plane, None
        self.view.canvas.set_grid(grid, DECODER_CELLS)
        self.view.set_plane(plane)
        self.ready = True
        self.drag(*self.view.canvas.point)

    async def _draw_seed_map(self, generation: int) -> None:
        try:
            self.base = self.vm.form.build_recipe()
        except NoisescopeError as exc:
            self._failed(generation, exc.message)
            return
        self.plane, self.square = None, SeedSquare.from_seed(self.view.seed.value())
        corners = self.square.corners
        steps = preview_recipe(self.base).steps
        self.view.set_seed_corners(corners, f"Seed plane: seeds {corners[0]} to {corners[3]} at the corners; a point "
                                   f"blends their start noise (bilinear, renormalised). Cells and drags: {steps}-step "
                                   f"previews; let go for the full {self.base.steps}-step run in the viewer.")
        self.drag(*self.view.canvas.point)
        info = self.vm.form.model_info()
        side = TEXT_SEED_CELLS if getattr(info, "takes_text", False) else SEED_CELLS
        cells = None
        for index, (u, v) in enumerate(grid_coordinates(side)):
            recipe = preview_recipe(point_recipe(self.base, self.square, float(u), float(v)))
            try:
                image = await self.adapter.call(partial(preview_on_worker, recipe))
            except NoisescopeError as exc:
                self._failed(generation, exc.message)
                return
            if generation != self.generation:
                return
            if cells is None:
                cells = np.zeros((side * side, *image.shape), np.uint8)
            cells[index] = image
            self.view.canvas.set_grid(cells, side)
        self.ready = True

    def _failed(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self.view.set_busy(message)
            self.view.note.setText(message)

    # -- the point --------------------------------------------------------------------------------
    def drag(self, u: float, v: float) -> None:
        self.view.canvas.set_point(u, v)
        if self.model is not None:
            self.points.ask(Ask(self.generation, u, v, time.perf_counter()))

    def release(self, u: float, v: float) -> None:
        """A diffusion point's full run, as Generate's (the viewer, the history); a decoder's point is final."""
        if self.square is None or self.base is None:
            return
        self.controller.start(point_recipe(self.base, self.square, u, v))

    async def _show_point(self, ask: Ask) -> None:
        if ask.generation != self.generation or self.model is None:
            return  # asked of a plane no longer shown
        if self.square is not None and self.base is not None:
            recipe = preview_recipe(point_recipe(self.base, self.square, ask.u, ask.v))
            job = partial(preview_on_worker, recipe)
            text = f"x {recipe.seed_plane.x:.2f}, y {recipe.seed_plane.y:.2f} · {recipe.steps}-step preview"  # type: ignore[union-attr]
        elif self.plane is not None:
            job = partial(decode_on_worker, self.model, self.plane, ask.u, ask.v)
            text = f"u {ask.u:+.2f}, v {ask.v:+.2f}"
        else:
            return
        try:
            image = await self.adapter.call(job)
        except NoisescopeError as exc:
            self._failed(ask.generation, exc.message)
            return
        if ask.generation != self.generation:
            return
        self.view.sample.set_image(image, ask.at)
        self.view.point_text.setText(text)
        self.view.timing.setText(f"{(time.perf_counter() - ask.at) * 1000:.0f} ms from the move")

    def _task_failed(self, exc: BaseException) -> None:
        self.vm.status.set_error(ErrorKind.INTERNAL, f"the latent map failed: {type(exc).__name__}: {exc}")


def add_latent_map(window, vm, adapter, controller) -> LatentMapWiring:
    """The Latent map dock, hidden at first (View > Latent map), tabbed with the gallery. Call it before
    the saved layout is restored, so a person's own placing of it wins."""
    return LatentMapWiring(window, vm, adapter, controller)
