"""The sweep's labelled grid on screen: the very picture the export writes (engine.sweep.grid_image),
scaled to fit and centred. Hovering a cell names it; a double click opens its run.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from gui.style import ACCENT, VIEWER_BACKGROUND

PLACEHOLDER = "Choose the axes, then Run: the grid fills in here as the cells finish."


class SweepGridView(QWidget):
    cellActivated = Signal(int)  # a cell's index, double-clicked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sweepGrid")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.image: QImage | None = None
        self.cells: dict[int, tuple[int, int]] = {}  # cell index -> (left, top) in image pixels
        self.tile = (0, 0)
        self.labels: dict[int, str] = {}  # cell index -> `steps=10, sampler=DDIM`
        self.placeholder = PLACEHOLDER
        self.running: set[int] = set()  # cells being made now: outlined
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, VIEWER_BACKGROUND)
        self.setPalette(palette)
        self.setAutoFillBackground(True)

    def set_grid(self, image: QImage | None, cells: dict[int, tuple[int, int]] | None = None,
                 tile: tuple[int, int] = (0, 0), labels: dict[int, str] | None = None) -> None:
        self.image, self.cells, self.tile, self.labels = image, dict(cells or {}), tile, dict(labels or {})
        self.update()

    def set_running(self, cells: set[int]) -> None:
        if cells != self.running:
            self.running = set(cells)
            self.update()

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(480, 400)

    def target(self) -> QRectF:
        """Where the image is drawn: fitted (never above 1:1 past twice its size), centred."""
        if self.image is None or self.image.isNull():
            return QRectF()
        margin = 8
        room_w, room_h = max(1, self.width() - 2 * margin), max(1, self.height() - 2 * margin)
        scale = min(room_w / self.image.width(), room_h / self.image.height(), 2.0)
        w, h = self.image.width() * scale, self.image.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def cell_at(self, point: QPointF) -> int | None:
        target = self.target()
        if target.isEmpty() or self.image is None or not target.contains(point):
            return None
        scale = target.width() / self.image.width()
        x, y = (point.x() - target.left()) / scale, (point.y() - target.top()) / scale
        for index, (left, top) in self.cells.items():
            if left <= x < left + self.tile[0] and top <= y < top + self.tile[1]:
                return index
        return None

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        if self.image is None or self.image.isNull():
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect().adjusted(24, 24, -24, -24), Qt.AlignmentFlag.AlignCenter
                             | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        target = self.target()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, target.width() < self.image.width())
        painter.drawImage(target, self.image)
        scale = target.width() / self.image.width()
        painter.setPen(QPen(QColor(ACCENT), 2, Qt.PenStyle.DashLine))
        for index in self.running & set(self.cells):
            left, top = self.cells[index]
            painter.drawRect(QRectF(target.left() + left * scale, target.top() + top * scale,
                                    self.tile[0] * scale, self.tile[1] * scale).adjusted(2, 2, -2, -2))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        index = self.cell_at(event.position())
        if index is None:
            QToolTip.hideText()
            self.unsetCursor()
            return
        label = self.labels.get(index, f"cell {index + 1}")
        QToolTip.showText(event.globalPosition().toPoint(), f"{label}\nDouble-click: open this cell's run", self)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        index = self.cell_at(event.position())
        if index is not None:
            self.cellActivated.emit(index)
