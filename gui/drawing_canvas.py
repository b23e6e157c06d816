"""A canvas to draw a digit on with the mouse: white strokes on black, as MNIST's digits are.

The drawing is a 280x280 grayscale image (ten times MNIST's 28x28), shown scaled to the widget.
The pen is 22 px wide there, about 2.2 px at 28x28 once the digit is boxed to 20 px: MNIST's stroke.
A picture file dropped on the canvas replaces the drawing (read here: a picture of a digit is small).
`pixels()` hands the drawing to the engine as a numpy array; engine.digit_drawing makes it MNIST-like.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.digit_drawing import read_picture
from engine.errors import InvalidRecipe
from engine.init_image import MAX_INIT_IMAGE_BYTES
from gui.qimage import to_qimage

SIZE = 280  # the drawing's pixels
PEN = 22.0  # stroke width in drawing pixels
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")


class DrawingCanvas(QWidget):
    changed = Signal()  # a stroke ended, the canvas was cleared, or a picture was dropped
    problem = Signal(str)  # a dropped file that is not a picture

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="drawingCanvas")
        self.image = QImage(SIZE, SIZE, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self._last: QPointF | None = None
        self.setAcceptDrops(True)
        self.setMinimumSize(140, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse (white on black), or drop a picture of one here")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(220, 220)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return width

    # -- the drawing ------------------------------------------------------------------------------
    def pixels(self) -> np.ndarray:
        """The drawing, uint8 (280, 280)."""
        view = self.image.constBits()
        rows = np.frombuffer(view, np.uint8).reshape(SIZE, self.image.bytesPerLine())
        return rows[:, :SIZE].copy()

    def is_blank(self) -> bool:
        return not self.pixels().any()

    def clear(self) -> None:
        self.image.fill(0)
        self.update()
        self.changed.emit()

    def set_picture(self, pixels: np.ndarray) -> None:
        """Show a picture (uint8 (H, W)) in place of the drawing, scaled to fit, centred."""
        picture = to_qimage(np.ascontiguousarray(pixels[..., None] if pixels.ndim == 2 else pixels))
        scaled = picture.scaled(SIZE, SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                Qt.TransformationMode.SmoothTransformation)
        self.image.fill(0)
        painter = QPainter(self.image)
        painter.drawImage((SIZE - scaled.width()) // 2, (SIZE - scaled.height()) // 2, scaled)
        painter.end()
        self.update()
        self.changed.emit()

    def stroke(self, points: list[tuple[float, float]]) -> None:
        """Draw a stroke through these points (drawing pixels): what the mouse does, for tests and scripts."""
        painter = self._pen()
        if len(points) == 1:
            painter.drawPoint(QPointF(*points[0]))
        for a, b in zip(points, points[1:]):
            painter.drawLine(QPointF(*a), QPointF(*b))
        painter.end()
        self.update()
        self.changed.emit()

    def _pen(self) -> QPainter:
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255), PEN, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                            Qt.PenJoinStyle.RoundJoin))
        return painter

    # -- the mouse --------------------------------------------------------------------------------
    def _target(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_image(self, position: QPointF) -> QPointF:
        target = self._target()
        return QPointF((position.x() - target.x()) * SIZE / target.width(),
                       (position.y() - target.y()) * SIZE / target.height())

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = self._to_image(event.position())
            painter = self._pen()
            painter.drawPoint(self._last)
            painter.end()
            self.update()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._last is not None:
            point = self._to_image(event.position())
            painter = self._pen()
            painter.drawLine(self._last, point)
            painter.end()
            self._last = point
            self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._last is not None:
            self._last = None
            self.changed.emit()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())  # beside the square: the dock's own colour
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(self._target(), self.image)
        painter.setPen(QPen(QColor(90, 90, 90), 1))
        painter.drawRect(self._target().adjusted(0, 0, -1, -1))
        painter.end()

    # -- dropped pictures -------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if _picture_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        path = _picture_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.load_file(path)

    def load_file(self, path: Path) -> None:
        try:
            if path.stat().st_size > MAX_INIT_IMAGE_BYTES:
                raise InvalidRecipe(f"{path.name} is larger than {MAX_INIT_IMAGE_BYTES:,} bytes")
            pixels = read_picture(path.read_bytes(), path.name)
            self.set_picture(255 - pixels if pixels.mean() > 127 else pixels)  # ink on paper: white on black
        except OSError as exc:
            self.problem.emit(f"{path.name} cannot be read: {exc.strerror or exc}")
        except InvalidRecipe as exc:
            self.problem.emit(exc.message)


def _picture_path(mime) -> Path | None:
    urls = mime.urls() if mime.hasUrls() else []
    paths = [Path(url.toLocalFile()) for url in urls if url.isLocalFile()]
    return paths[0] if len(paths) == 1 and paths[0].suffix.lower() in PICTURE_SUFFIXES else None
