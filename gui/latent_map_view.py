"""The Latent map view (View > Latent map): the map of decodes, the point's sample shown large
beside it, and the plane's choices.

For a VAE or a GAN the map is a plane through its latent space (random or principal directions,
a seed to re-roll, the class for a class-conditional GAN); for a diffusion model it is the seed
plane: four seeds at the corners, a point blending their start noise. The view holds no model and
runs nothing: it emits what the person asks for, and the wiring (gui/latent_map_wiring.py) sends
it to the engine thread and hands the pictures back.

For other views (the drawing canvas): `show_marker(u, v, text)` / `show_latent(z, text)` place a
marker on the map, in the plane's coordinates (engine.latent_map.project).
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
from PySide6.QtCore import QRect, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.latent_map.plane import KINDS, PRINCIPAL, RANDOM, LatentPlane, project
from gui.latent_map_canvas import MapCanvas
from gui.qimage import to_qimage
from gui.style import VIEWER_BACKGROUND

KIND_TEXT = {RANDOM: "Random", PRINCIPAL: "Principal"}
SEED_MAXIMUM = 2**31 - 1


class SampleView(QWidget):
    """One picture, as large as the room allows, crisp; says when a frame has been painted."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("latentMapSample")
        self.setMinimumSize(96, 96)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image: QImage | None = None
        self.asked_at: float | None = None  # when the drag that this frame answers happened
        self.latencies: deque[float] = deque(maxlen=4096)  # drag to frame painted, seconds (the bench reads them)

    def set_image(self, image: np.ndarray | None, asked_at: float | None = None) -> None:
        self.image = None if image is None else to_qimage(np.asarray(image))
        self.asked_at = asked_at
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), VIEWER_BACKGROUND)
        if self.image is not None:
            side = max(1, min(self.width(), self.height()))
            scale = max(1, side // max(self.image.width(), self.image.height()))  # whole multiples: crisp pixels
            width, height = self.image.width() * scale, self.image.height() * scale
            painter.drawImage(QRect((self.width() - width) // 2, (self.height() - height) // 2, width, height),
                              self.image)
        painter.end()
        if self.asked_at is not None:
            self.latencies.append(time.perf_counter() - self.asked_at)
            self.asked_at = None


class LatentMapView(QWidget):
    planeRequested = Signal()  # the plane's choices changed (kind, seed, class): make a new one
    pointDragged = Signal(float, float)
    pointReleased = Signal(float, float)
    planeChanged = Signal(object)  # LatentPlane | None: a new plane is on the map

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("latentMapView")
        self._plane: LatentPlane | None = None
        self.family: str | None = None
        self.canvas = MapCanvas()
        self.sample = SampleView()
        self.kind = QComboBox(objectName="latentMapKind")
        for kind in KINDS:
            self.kind.addItem(KIND_TEXT[kind], kind)
        self.kind.setToolTip("Random: two random directions through the prior's centre. Principal: the two "
                             "directions the model's latents (VAE: its encoded training digits) or its pictures "
                             "(GAN, per class) vary most along")
        self.seed = QSpinBox(objectName="latentMapSeed", minimum=0, maximum=SEED_MAXIMUM)
        self.seed.setMaximumWidth(120)
        self.seed.setToolTip("The seed of the random directions; for a diffusion model, the seed at the bottom "
                             "left corner (the next three seeds sit at the other corners)")
        self.reroll = QPushButton("Re-roll", objectName="latentMapReroll")
        self.reroll.setToolTip("A new seed: new random directions, or four new seeds at the corners")
        self.label = QComboBox(objectName="latentMapLabel")
        self.label.setToolTip("The class the GAN draws; each class has its own principal plane")
        self.label.setMaximumWidth(80)
        self.class_caption = QLabel("Class")
        self.plane_caption = QLabel("Plane")
        self.note = QLabel(objectName="caption", wordWrap=True)
        self.point_text = QLabel(objectName="caption")
        self.timing = QLabel(objectName="timing")
        for label in (self.point_text, self.timing):  # their text changes every frame: no relayout of the dock
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

        controls = QGridLayout()  # two short rows: the dock stays narrow enough for a 1024 px window
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.plane_caption, 0, 0)
        controls.addWidget(self.kind, 0, 1)
        controls.addWidget(self.class_caption, 0, 2)
        controls.addWidget(self.label, 0, 3)
        controls.addWidget(QLabel("Seed"), 1, 0)
        controls.addWidget(self.seed, 1, 1)
        controls.addWidget(self.reroll, 1, 2, 1, 2)
        controls.setColumnStretch(4, 1)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.sample, 1)
        side.addWidget(self.point_text)
        side.addWidget(self.timing)
        self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(self.canvas, 3)
        self.body.addLayout(side, 2)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 8, 8, 8)
        column.addLayout(controls)
        column.addLayout(self.body, 1)
        column.addWidget(self.note)

        self.kind.currentIndexChanged.connect(lambda _: (self._enable_seed(), self.planeRequested.emit()))
        self.seed.valueChanged.connect(lambda _: self.planeRequested.emit())
        self.label.currentIndexChanged.connect(lambda _: self.planeRequested.emit())
        self.reroll.clicked.connect(self._reroll)
        self.canvas.dragged.connect(self.pointDragged)
        self.canvas.released.connect(self.pointReleased)
        self.set_family(None)

    # -- the API other views use ------------------------------------------------------------------
    @property
    def plane(self) -> LatentPlane | None:
        """The VAE's or GAN's plane on the map (None for a diffusion model, or before one is made)."""
        return self._plane

    def show_marker(self, u: float, v: float, text: str = "") -> None:
        """A marker at map coordinates (u, v) (say, where a drawing encodes to); outside [-1, 1] it sits on
        the border and says so."""
        self.canvas.set_marker(u, v, text)

    def clear_marker(self) -> None:
        self.canvas.clear_marker()

    def show_latent(self, z: np.ndarray, text: str = "") -> tuple[float, float] | None:
        """Mark where latent z projects onto the plane; its (u, v), or None when no plane is shown."""
        if self._plane is None:
            return None
        u, v = project(self._plane, z)
        self.show_marker(u, v, text)
        return u, v

    # -- set by the wiring --------------------------------------------------------------------------
    def set_family(self, family: str | None, labels: tuple[str, ...] = (), label: str | None = None) -> None:
        """Which controls apply: a plane kind for a VAE or GAN, a class for a class-conditional GAN."""
        self.family = family
        diffusion = family == "diffusion"
        self.kind.setEnabled(family in ("vae", "gan"))
        self.kind.setVisible(not diffusion)
        self.plane_caption.setText("Seed plane" if diffusion else "Plane")
        self._enable_seed()
        gan_classes = family == "gan" and bool(labels)
        self.label.setVisible(gan_classes)
        self.class_caption.setVisible(gan_classes)
        self.label.blockSignals(True)
        self.label.clear()
        for name in labels if gan_classes else ():
            self.label.addItem(name, name)
        if gan_classes:
            self.label.setCurrentIndex(max(0, self.label.findData(label)))
        self.label.blockSignals(False)
        self.canvas.corner_texts = ("", "", "", "")
        self.canvas.placeholder = "Pick a model in the Recipe panel" if family is None else "Drawing the map…"

    def choices(self) -> tuple[str, int, str | None]:
        """(plane kind, seed, class label or None)."""
        label = self.label.currentData() if self.label.count() else None
        return self.kind.currentData(), self.seed.value(), label

    def set_plane(self, plane: LatentPlane | None, note: str = "") -> None:
        self._plane = plane
        self.canvas.clear_marker()
        self.note.setText(note or (plane.note if plane is not None else ""))
        self.planeChanged.emit(plane)

    def set_seed_corners(self, corners: tuple[int, int, int, int], note: str) -> None:
        self._plane = None
        self.canvas.clear_marker()
        self.canvas.corner_texts = tuple(f"seed {seed}" for seed in corners)  # type: ignore[assignment]
        self.note.setText(note)
        self.planeChanged.emit(None)

    def set_busy(self, text: str) -> None:
        self.canvas.placeholder = text
        self.canvas.set_grid(None, 0)

    def _enable_seed(self) -> None:
        """The seed picks random directions or the corner seeds; a principal plane has none to pick."""
        used = self.family == "diffusion" or self.kind.currentData() == RANDOM
        self.seed.setEnabled(used)
        self.reroll.setEnabled(used)

    def _reroll(self) -> None:
        self.seed.setValue(int(np.random.default_rng().integers(0, 100_000)))

    def resizeEvent(self, event) -> None:  # noqa: N802
        """Side by side when there is width; the sample below the map in a tall, narrow dock."""
        super().resizeEvent(event)
        wide = self.width() >= self.height() * 1.1
        self.body.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)
