"""The Drawing dock's widgets: the canvas, its actions, and what the models made of the drawing.

No engine work here: the buttons ask (encodeRequested, useRequested) and gui/drawing_wiring.py
answers on the engine and disk threads, then calls show_encoded / say.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.init_image import DEFAULT_STRENGTH
from gui.drawing_canvas import DrawingCanvas
from gui.qimage import to_qimage

THUMB = 96  # the small pictures: a 32x32 digit at 3x


class DrawingPanel(QWidget):
    encodeRequested = Signal()
    useRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="drawingPanel")
        self.canvas = DrawingCanvas()
        self.clear = QPushButton("Clear", toolTip="Start a new drawing")
        self.encode = QPushButton("Encode with the VAE", objectName="encodeDrawing",
                                  toolTip="The chosen VAE encodes the drawing to z and decodes it back; its place "
                                          "on the latent map is marked")
        self.use = QPushButton("Use as init image", objectName="useDrawing",
                               toolTip="Image-to-image: Generate then starts from the drawing, noised to this "
                                       "denoising strength, and denoises it step by step")
        self.strength = QDoubleSpinBox(decimals=2, minimum=0.05, maximum=1.0, singleStep=0.05,
                                       value=DEFAULT_STRENGTH, toolTip="Denoising strength: 0 keeps the drawing, "
                                                                       "1 starts from (almost) pure noise")
        self.seen = _thumb("Model's input", "The drawing as the chosen model gets it: for a digits model boxed to "
                           "20 px and centred, as MNIST; for one trained on white (the emoji), dark strokes on white")
        self.reconstruction = _thumb("Reconstruction", "The VAE's decode of the drawing's z")
        self.message = QLabel(objectName="caption", wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QHBoxLayout()
        buttons.addWidget(self.clear)
        buttons.addWidget(self.encode, 1)
        self.strength.setPrefix("strength ")  # in the box: no label widening the dock
        self.strength.setMinimumWidth(100)  # not its text's width: the dock fits a 1024 px window
        use_row = QHBoxLayout()
        use_row.addWidget(self.strength)
        use_row.addWidget(self.use, 1)
        pictures = QGridLayout()
        for column, (picture, caption) in enumerate((self.seen, self.reconstruction)):
            pictures.addWidget(picture, 0, column, Qt.AlignmentFlag.AlignHCenter)
            pictures.addWidget(caption, 1, column, Qt.AlignmentFlag.AlignHCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        layout.addWidget(QLabel("Draw a digit (or drop a picture of one)", objectName="caption"))
        layout.addWidget(self.canvas, 1)
        layout.addLayout(buttons)
        layout.addLayout(use_row)
        layout.addLayout(pictures)
        layout.addWidget(self.message)

        self.clear.clicked.connect(self.canvas.clear)
        self.encode.clicked.connect(self.encodeRequested)
        self.use.clicked.connect(self.useRequested)
        self.canvas.problem.connect(lambda text: self.say(text, error=True))
        self.canvas.changed.connect(self._drawing_changed)

    @property
    def seen_picture(self) -> QLabel:
        return self.seen[0]

    @property
    def reconstruction_picture(self) -> QLabel:
        return self.reconstruction[0]

    def show_seen(self, image: np.ndarray | None) -> None:
        _show(self.seen_picture, image)

    def show_encoded(self, image: np.ndarray, reconstruction: np.ndarray, text: str) -> None:
        _show(self.seen_picture, image)
        _show(self.reconstruction_picture, reconstruction)
        self.say(text)

    def say(self, text: str, error: bool = False) -> None:
        self.message.setProperty("error", error)
        self.message.setStyleSheet("color: #e06c6c;" if error else "")
        self.message.setText(text)

    def set_busy(self, busy: bool) -> None:
        self.encode.setEnabled(not busy)
        self.encode.setText("Encoding…" if busy else "Encode with the VAE")

    def _drawing_changed(self) -> None:
        _show(self.reconstruction_picture, None)  # the old reconstruction is of another drawing


def _thumb(caption: str, tip: str) -> tuple[QLabel, QLabel]:
    picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, toolTip=tip)
    picture.setFixedSize(THUMB, THUMB)
    picture.setStyleSheet("background: #000; border: 1px solid #444;")
    return picture, QLabel(caption, objectName="caption", alignment=Qt.AlignmentFlag.AlignCenter, toolTip=tip)


def _show(label: QLabel, image: np.ndarray | None) -> None:
    if image is None:
        label.clear()
        return
    pixmap = QPixmap.fromImage(to_qimage(np.ascontiguousarray(image)))
    label.setPixmap(pixmap.scaled(THUMB - 2, THUMB - 2, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.FastTransformation))  # pixels as pixels, not blurred
