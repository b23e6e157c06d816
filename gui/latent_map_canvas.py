"""The map itself: a grid of decodes, a point to drag, and a marker another view may place.

Each cell shows the decode at its centre, so map coordinates (u, v) in [-1, 1] run from the centre
of the first cell to the centre of the last: u left to right, v bottom to top (engine/latent_map/
plane.py). The canvas only paints and reports where the point goes; what is decoded there is the
wiring's business (gui/latent_map_wiring.py).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.export.grid import make_grid
from gui.qimage import to_qimage
from gui.style import ACCENT, VIEWER_BACKGROUND

KEY_STEP = 0.05  # an arrow key moves the point this far (map units)
ARROWS = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, 1), Qt.Key.Key_Down: (0, -1)}
MARKER = QColor("#ffb347")


class MapCanvas(QWidget):
    dragged = Signal(float, float)  # the point moves (mouse held, or an arrow key)
    released = Signal(float, float)  # the mouse is let go (or an arrow key released): where it ended

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("latentMapCanvas")
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.grid: QImage | None = None
        self.cells = 0
        self.point = (0.0, 0.0)
        self.marker: tuple[float, float, str] | None = None
        self.corner_texts: tuple[str, str, str, str] = ("", "", "", "")  # bottom left, bottom right, top left, top right
        self.placeholder = "Pick a model"
        self._dragging = False

    # -- what is shown ------------------------------------------------------------------------
    def set_grid(self, images: np.ndarray | None, cells: int) -> None:
        """images: (cells * cells, H, W, C) uint8 row by row from the top left, or None to clear."""
        if images is None:
            self.grid, self.cells = None, 0
        else:
            self.grid, self.cells = to_qimage(make_grid(np.asarray(images), columns=cells, padding=0)), cells
        self.update()

    def set_point(self, u: float, v: float) -> None:
        self.point = (_clamp(u), _clamp(v))
        self.update()

    def set_marker(self, u: float, v: float, text: str = "") -> None:
        self.marker = (float(u), float(v), text)
        self.update()

    def clear_marker(self) -> None:
        self.marker = None
        self.update()

    # -- geometry -----------------------------------------------------------------------------
    def square(self) -> QRectF:
        side = max(1, min(self.width(), self.height()) - 4)
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _half_cell(self, square: QRectF) -> float:
        return square.width() / (2 * self.cells) if self.cells else square.width() * 0.05

    def to_widget(self, u: float, v: float) -> QPointF:
        square = self.square()
        half = self._half_cell(square)
        span = square.width() - 2 * half
        return QPointF(square.left() + half + (u + 1) / 2 * span, square.bottom() - half - (v + 1) / 2 * span)

    def to_map(self, position: QPointF) -> tuple[float, float]:
        square = self.square()
        half = self._half_cell(square)
        span = max(1.0, square.width() - 2 * half)
        u = (position.x() - square.left() - half) / span * 2 - 1
        v = (square.bottom() - half - position.y()) / span * 2 - 1
        return _clamp(u), _clamp(v)

    # -- input --------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging = True
            self._move_to(*self.to_map(event.position()))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._dragging:
            self._move_to(*self.to_map(event.position()))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._dragging and event.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
            self.released.emit(*self.point)

    def event(self, event) -> bool:
        """With the map focused, the arrows move the point, not the window's timeline shortcuts."""
        if event.type() == QEvent.Type.ShortcutOverride and Qt.Key(event.key()) in ARROWS:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        move = ARROWS.get(Qt.Key(event.key()))
        if move is None:
            super().keyPressEvent(event)
            return
        self._move_to(self.point[0] + move[0] * KEY_STEP, self.point[1] + move[1] * KEY_STEP)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802
        if Qt.Key(event.key()) in ARROWS and not event.isAutoRepeat():
            self.released.emit(*self.point)
        else:
            super().keyReleaseEvent(event)

    def _move_to(self, u: float, v: float) -> None:
        point = (_clamp(u), _clamp(v))
        if point != self.point:
            self.set_point(*point)
            self.dragged.emit(*point)

    # -- painting -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), VIEWER_BACKGROUND)
        square = self.square()
        if self.grid is None:
            painter.setPen(QColor("#7b8190"))
            painter.drawText(square, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # crisp pixels, as the viewer
        painter.drawImage(square, self.grid)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._paint_corners(painter, square)
        if self.marker is not None:
            self._paint_marker(painter, *self.marker)
        centre = self.to_widget(*self.point)
        for colour, width in ((QColor(0, 0, 0, 170), 4.0), (QColor(ACCENT), 2.0)):
            painter.setPen(QPen(colour, width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(centre, 8, 8)
        painter.setPen(QPen(QColor("#ffffff"), 1.5))
        painter.drawEllipse(centre, 2, 2)

    def _paint_corners(self, painter: QPainter, square: QRectF) -> None:
        if not any(self.corner_texts):
            return
        painter.setPen(QColor("#e6e8ec"))
        margin = 4
        places = ((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
                  (Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                  (Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
                  (Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop))
        inner = square.adjusted(margin, margin, -margin, -margin)
        for text, place in zip(self.corner_texts, places):
            if not text:
                continue
            box = painter.boundingRect(inner, place, text).adjusted(-3, -1, 3, 1)
            painter.fillRect(box, QColor(0, 0, 0, 150))
            painter.drawText(inner, place, text)

    def _paint_marker(self, painter: QPainter, u: float, v: float, text: str) -> None:
        outside = not (-1 <= u <= 1 and -1 <= v <= 1)
        at = self.to_widget(_clamp(u), _clamp(v))
        diamond = QPainterPath()
        diamond.moveTo(at.x(), at.y() - 7)
        diamond.lineTo(at.x() + 7, at.y())
        diamond.lineTo(at.x(), at.y() + 7)
        diamond.lineTo(at.x() - 7, at.y())
        diamond.closeSubpath()
        painter.setPen(QPen(QColor(0, 0, 0, 180), 2))
        painter.setBrush(MARKER)
        painter.drawPath(diamond)
        label = text + (" (outside the map)" if outside else "")
        if label:
            painter.setPen(MARKER)
            painter.drawText(QPointF(at.x() + 10, at.y() - 8), label)


def _clamp(value: float) -> float:
    return min(1.0, max(-1.0, float(value)))
