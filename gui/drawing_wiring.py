"""Your own digit: the Drawing dock (View > Drawing, Run > Draw a digit).

- "Encode with the VAE": on the engine thread (EngineAdapter.call), the form's model encodes the
  MNIST-like drawing (engine.vae_encode): the panel shows what the model saw and its reconstruction,
  and the latent map (when its dock has a plane) marks where the drawing sits. A GAN or a diffusion
  model has no encoder: the engine's message says so, in the panel.
- "Use as init image": the drawing is kept beside the history as a PNG (engine.init_image_files, on
  the disk thread) and the form's init image and strength are set, on a diffusion model (the digits
  one when a VAE or GAN is chosen). Generate then runs image-to-image, streamed like any run.
The GUI thread only draws, makes the drawing MNIST-like (a few hundred pixels) and awaits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from engine.digit_drawing import mnist_like, png_bytes
from engine.errors import NoisescopeError
from engine.kinds import ErrorKind, Family
from gui.drawing_panel import DrawingPanel
from gui.tasks import TaskKeeper

log = logging.getLogger(__name__)
DOCK_WIDTH = 320


def encode_on_worker(model: str, digit: np.ndarray, cache):
    """Runs on the engine worker: the runtime (torch) is imported there, never on the GUI thread."""
    from engine.vae_encode import encode_image

    return encode_image(model, digit, cache=cache)


def drawing_for(info, digit: Callable[[], np.ndarray], pixels: Callable[[], np.ndarray]) -> np.ndarray:
    """The drawing as the model saw its training images: the MNIST-like 28x28 digit for a grey digits
    model; dark strokes on white for a model trained on a white background (the emoji: white strokes
    on black are far from anything it has seen, and it draws murk); else the drawing itself (a text
    model resizes it)."""
    if info.channels == 1:
        return digit()
    return 255 - pixels() if info.background == "white" else pixels()


def keep_drawing(data: bytes):
    """Runs on the disk thread: the drawing kept by hash; the InitImage that names it."""
    from engine.init_image_files import keep_bytes

    return keep_bytes(data, "drawing.png")


class DrawingWiring(QObject):
    def __init__(self, window, vm, adapter, disk, latent_map_view: Callable[[], object | None] = lambda: None):
        super().__init__(window)
        self.window, self.vm, self.adapter, self.disk = window, vm, adapter, disk
        self.latent_map_view = latent_map_view  # the latent map's view, when that dock exists
        self.tasks = TaskKeeper(self._task_failed)
        self.panel = DrawingPanel()
        self.dock = window.add_panel("Drawing", self.panel, width=DOCK_WIDTH)
        gallery = window.findChild(QDockWidget, "dock-gallery")
        if gallery is not None:
            window.tabifyDockWidget(gallery, self.dock)
        self.dock.hide()  # View > Drawing, or Run > Draw a digit, shows it
        self.action = QAction("&Draw a digit", window)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.action.setStatusTip("Draw a digit: encode it with the VAE, or start an image-to-image run from it")
        self.action.triggered.connect(self.show)
        window.run_menu.addAction(self.action)
        self.panel.encodeRequested.connect(self.encode)
        self.panel.useRequested.connect(self.use_as_init_image)
        self.panel.canvas.changed.connect(self._drawing_changed)
        vm.form.fieldsChanged.connect(self._drawing_changed)  # another model may see the drawing otherwise
        self.last_encoded = None  # engine.vae_encode.Encoded of the last drawing encoded
        self._map_followed = None  # the latent map view whose new planes get the drawing's marker

    def show(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def digit(self) -> np.ndarray:
        """The drawing as MNIST draws digits: 28x28, boxed to 20 px, centred by mass."""
        return mnist_like(self.panel.canvas.pixels())

    def _drawing_changed(self) -> None:
        """What the form's model would be given (a few ms of numpy): on each stroke and each change of model."""
        if self.panel.canvas.is_blank():
            self.panel.show_seen(None)
            return
        info = self.vm.form.model_info()
        seen = self.digit() if info is None else drawing_for(info, self.digit, self.panel.canvas.pixels)
        self.panel.show_seen(seen[..., None])

    # -- encode ----------------------------------------------------------------------------------
    def encode(self) -> None:
        if self.panel.canvas.is_blank():
            self.panel.say("Draw a digit first (or drop a picture of one on the canvas).", error=True)
            return
        model = self.vm.form.fields.model
        self.panel.set_busy(True)
        self.tasks.spawn(self._encode(model, self.digit()), name="encode-drawing")

    async def _encode(self, model: str, digit: np.ndarray) -> None:
        try:
            encoded = await self.adapter.call(partial(encode_on_worker, model, digit))
        except NoisescopeError as exc:
            self.panel.say(exc.message, error=True)
            return
        finally:
            self.panel.set_busy(False)
        self.last_encoded = encoded
        where = self._mark_on_map(encoded.z)
        norm = float(np.linalg.norm(encoded.z))
        self.panel.show_encoded(encoded.image, encoded.reconstruction,
                                f"{encoded.model} encoded the drawing to a {encoded.z.size}-d z (length {norm:.2f}) "
                                f"and decoded it back. {where}")

    def _mark_on_map(self, z: np.ndarray) -> str:
        view = self.latent_map_view()
        if view is None or not hasattr(view, "show_latent"):
            return ""
        if view is not self._map_followed and hasattr(view, "planeChanged"):
            self._map_followed = view  # a new plane clears the marker: put the drawing back on it
            view.planeChanged.connect(self._plane_changed)
        place = view.show_latent(z, "your drawing")
        if place is None:
            return "Open View > Latent map to see where it sits."
        u, v = place
        outside = " (outside the map)" if max(abs(u), abs(v)) > 1 else ""
        return f"On the latent map it sits at ({u:+.2f}, {v:+.2f}){outside}."

    def _plane_changed(self, plane) -> None:
        encoded = self.last_encoded
        if plane is not None and encoded is not None and getattr(plane, "model", None) == encoded.model:
            self._mark_on_map(encoded.z)

    # -- image to image --------------------------------------------------------------------------
    def use_as_init_image(self) -> None:
        form = self.vm.form
        if self.panel.canvas.is_blank():
            self.panel.say("Draw a digit first (or drop a picture of one on the canvas).", error=True)
            return
        info = form.model_info()
        note = ""
        if info is None or info.family != Family.DIFFUSION:
            diffusion = next((m for m in form.models if m.family == Family.DIFFUSION and not m.takes_text), None)
            if diffusion is None:
                self.panel.say("Image-to-image needs a diffusion model, and none is installed.", error=True)
                return
            note = f" ({info.name if info else 'the model'} has no steps to start part-way: {diffusion.name} is chosen)"
            model = diffusion.name
            info = diffusion
        else:
            model = info.name
        picture = drawing_for(info, self.digit, self.panel.canvas.pixels)
        self.tasks.spawn(self._use(model, png_bytes(picture), self.panel.strength.value(), note), name="use-drawing")

    async def _use(self, model: str, data: bytes, strength: float, note: str) -> None:
        try:
            init = await self.disk.submit(keep_drawing, data)
        except (OSError, NoisescopeError) as exc:
            self.panel.say(f"The drawing could not be kept: {exc}", error=True)
            return
        form = self.vm.form
        form.restore_fields({"model": model, "init_image": init.to_dict(), "strength": round(strength, 2)})
        steps = form.fields.steps
        runs = max(0, min(int(steps * strength), steps))
        self.panel.say(f"The drawing is the init image{note}: Generate noises it to strength {strength:.2f} and "
                       f"denoises it in {runs} of {steps} steps.")

    def _task_failed(self, exc: BaseException) -> None:
        self.vm.status.set_error(ErrorKind.INTERNAL, f"the drawing could not be used: {type(exc).__name__}: {exc}")
