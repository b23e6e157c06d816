"""The viewer: small images shown large and crisp, in three synchronized panes (x_t, x0, noise).

Each pane is an ImageCanvas; all share one ViewTransform (zoom and pan), so a zoom or drag in
one moves all three. Zoom is an integer factor (nearest neighbour, no smoothing) or "fit",
the largest integer factor that fits. A click on a sample of the batch focuses it; a click
on the focused sample goes back to the grid.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from engine.kinds import Family, Outcome
from gui.qimage import GridLayout, tile, to_qimage
from gui.recipe_form import RecipeForm
from gui.run_state import RunState, RunStatus
from gui.style import VIEWER_BACKGROUND
from gui.trajectory_view import TrajectoryView

VIEW_TITLES = {"x_t": "Noisy sample  xₜ", "x0": "Predicted clean  x̂₀", "noise": "Predicted noise  ε̂"}
MAX_ZOOM = 256
CLICK_SLOP = 4  # pixels a press may move and still count as a click
FIT_MARGIN = 4  # pixels kept free around a fitted image (small: an integer zoom step is precious)


class ViewTransform(QObject):
    """Zoom (None = fit) and pan shared by the panes."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.zoom: int | None = None
        self.pan = QPointF(0, 0)
        self.fit_room: tuple[int, int] | None = None  # the smallest visible pane: one zoom for all

    def set(self, zoom: int | None, pan: QPointF | None = None) -> None:
        self.zoom = None if zoom is None else max(1, min(MAX_ZOOM, zoom))
        self.pan = QPointF(0, 0) if zoom is None else (pan if pan is not None else self.pan)
        self.changed.emit()

    def step(self, direction: int, shown_factor: float) -> None:
        """Double or halve the zoom; from "fit", start at the factor now shown."""
        current = self.zoom or max(1, math.floor(shown_factor))
        self.set(current * 2 if direction > 0 else max(1, current // 2))


class ImageCanvas(QWidget):
    clicked = Signal(object)  # the sample index under the click, or None
    resized = Signal()

    def __init__(self, transform: ViewTransform, parent: QWidget | None = None):
        super().__init__(parent)
        self.transform = transform
        self.image: QImage | None = None
        self.layout_info: GridLayout | None = None
        self.placeholder = ""
        self._press: QPointF | None = None
        self._pan_start = QPointF()
        self.painted_image_at = 0.0  # perf_counter of the last paint that drew an image (bench, tests)
        self.setMinimumSize(120, 120)
        self.setMouseTracking(False)
        transform.changed.connect(self.update)

    def set_image(self, image: QImage | None, layout: GridLayout | None, placeholder: str = "") -> None:
        self.image, self.layout_info, self.placeholder = image, layout, placeholder
        self.update()

    def zoom_factor(self) -> float:
        if self.image is None or self.image.isNull():
            return 1.0
        if self.transform.zoom is not None:
            return float(self.transform.zoom)
        width, height = self.transform.fit_room or (self.width(), self.height())
        room_w, room_h = max(1, width - 2 * FIT_MARGIN), max(1, height - 2 * FIT_MARGIN)
        fit = min(room_w / self.image.width(), room_h / self.image.height())
        return float(math.floor(fit)) if fit >= 1 else fit  # integer when it can be: crisp pixels

    def image_rect(self) -> QRectF:
        zoom = self.zoom_factor()
        w, h = self.image.width() * zoom, self.image.height() * zoom
        x = round((self.width() - w) / 2 + self.transform.pan.x())
        y = round((self.height() - h) / 2 + self.transform.pan.y())
        return QRectF(x, y, w, h)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), VIEWER_BACKGROUND)
        if self.image is None or self.image.isNull():
            painter.setPen(Qt.GlobalColor.gray)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(self.image_rect(), self.image)
        self.painted_image_at = time.perf_counter()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.resized.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if self.image is None:
            return
        self.transform.step(1 if event.angleDelta().y() > 0 else -1, self.zoom_factor())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            self._pan_start = QPointF(self.transform.pan)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press is None or self.image is None:
            return
        delta = event.position() - self._press
        if self.transform.zoom is None and (abs(delta.x()) > CLICK_SLOP or abs(delta.y()) > CLICK_SLOP):
            self.transform.zoom = max(1, math.floor(self.zoom_factor()))  # panning leaves "fit"
        if self.transform.zoom is not None:
            self.transform.set(self.transform.zoom, self._pan_start + delta)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        press, self._press = self._press, None
        if press is None or self.image is None:
            return
        delta = event.position() - press
        if abs(delta.x()) <= CLICK_SLOP and abs(delta.y()) <= CLICK_SLOP:
            self.clicked.emit(self.sample_at(event.position()))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.transform.set(None)

    def sample_at(self, pos: QPointF) -> int | None:
        if self.image is None or self.layout_info is None:
            return None
        rect = self.image_rect()
        zoom = rect.width() / self.image.width()
        return self.layout_info.index_at((pos.x() - rect.x()) / zoom, (pos.y() - rect.y()) / zoom)


class ViewerPanel(QWidget):
    """The three panes of one TrajectoryView with their switches, zoom controls and the focus
    indicator. `status` and `form` (the live run's) only choose placeholders and which panes apply
    before the first step; a view of a recorded run needs neither."""

    def __init__(self, view: TrajectoryView, status: RunStatus | None = None, form: RecipeForm | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.view, self.status, self.form = view, status, form
        self.transform = ViewTransform()
        self.canvases: dict[str, ImageCanvas] = {}
        self.panes: dict[str, QWidget] = {}
        self.toggles: dict[str, QToolButton] = {}
        self.titles: dict[str, QLabel] = {}

        header = QHBoxLayout()
        header.setContentsMargins(8, 6, 8, 2)
        for name, title in VIEW_TITLES.items():
            button = QToolButton(text=title.split("  ")[1], checkable=True, checked=True)
            button.setToolTip(f"Show or hide: {title}")
            button.toggled.connect(lambda on, v=name: self.view.set_view_visible(v, on))
            self.toggles[name] = button
            header.addWidget(button)
        header.addSpacing(12)
        self.focus_label = QLabel(objectName="caption")
        self.grid_button = QToolButton(text="Back to grid")
        self.grid_button.clicked.connect(lambda: self.view.set_focus(None))
        header.addWidget(self.focus_label)
        header.addWidget(self.grid_button)
        header.addStretch(1)
        self.zoom_label = QLabel(objectName="caption")
        self.zoom_label.setMinimumWidth(28)
        for text, tip, slot in (("−", "Zoom out", lambda: self.zoom_by(-1)),
                                ("+", "Zoom in", lambda: self.zoom_by(1)),
                                ("Fit", "Fit to window (double-click an image)", lambda: self.transform.set(None))):
            button = QToolButton(text=text, toolTip=tip)
            button.clicked.connect(slot)
            header.addWidget(button)
        header.addSpacing(4)
        header.addWidget(self.zoom_label)

        row = QHBoxLayout()
        row.setContentsMargins(8, 4, 8, 8)
        row.setSpacing(8)
        for name, title in VIEW_TITLES.items():
            pane = QWidget()
            column = QVBoxLayout(pane)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            self.titles[name] = QLabel(title, objectName="paneTitle")
            column.addWidget(self.titles[name])
            canvas = ImageCanvas(self.transform)
            canvas.clicked.connect(self._clicked)
            canvas.resized.connect(self._update_fit_room)
            column.addWidget(canvas, 1)
            self.canvases[name], self.panes[name] = canvas, pane
            row.addWidget(pane, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addLayout(row, 1)

        self.transform.changed.connect(self._update_zoom_label)
        view.displayChanged.connect(self.render)
        view.viewsChanged.connect(self._sync_views)
        view.focusChanged.connect(self._sync_focus)
        view.trajectoryReset.connect(self.render)
        if status is not None:
            status.stateChanged.connect(self._state_changed)  # a bound method: let go when the panel is deleted
        if form is not None:
            form.fieldsChanged.connect(self._sync_views)
        self._sync_views()
        self._sync_focus(None)
        self.render()

    def _state_changed(self, *_) -> None:
        self._sync_views()
        self.render()

    def zoom_by(self, direction: int) -> None:
        shown = [c.zoom_factor() for n, c in self.canvases.items() if self.panes[n].isVisibleTo(self)]
        self.transform.step(direction, min(shown) if shown else 1.0)

    def _clicked(self, index: int | None) -> None:
        if self.view.focus is not None:
            self.view.set_focus(None)
        elif index is not None and self.view.trajectory is not None and self.view.trajectory.batch > 1:
            self.view.set_focus(index)

    def _busy(self) -> bool:
        return self.status is not None and self.status.busy

    def _applicable(self) -> tuple[str, ...]:
        """VAE and GAN decode in one pass: one image, no noisy sample, no noise prediction."""
        event = self.view.current_step_event()
        if event is not None and not self._busy():
            decoder = event.noise is None
        else:
            info = self.form.model_info() if self.form is not None else None
            decoder = info is not None and info.family != Family.DIFFUSION
        return ("x0",) if decoder else tuple(VIEW_TITLES)

    def _sync_views(self) -> None:
        applicable = self._applicable()
        for name, pane in self.panes.items():
            pane.setVisible(name in applicable and (self.view.views[name] or len(applicable) == 1))
            self.toggles[name].setChecked(self.view.views[name])
            self.toggles[name].setEnabled(name in applicable and len(applicable) > 1)
        self.titles["x0"].setText(VIEW_TITLES["x0"] if len(applicable) > 1 else "Decoded sample")
        self._update_fit_room()

    def _update_fit_room(self) -> None:
        sizes = [(c.width(), c.height()) for n, c in self.canvases.items() if self.panes[n].isVisibleTo(self)]
        room = (min(w for w, _ in sizes), min(h for _, h in sizes)) if sizes else None
        if room != self.transform.fit_room:
            self.transform.fit_room = room
            for canvas in self.canvases.values():
                canvas.update()

    def _sync_focus(self, index) -> None:
        self.grid_button.setVisible(index is not None)
        self.focus_label.setText("" if index is None else f"Sample {index + 1}")

    def _update_zoom_label(self) -> None:
        zoom = self.transform.zoom
        self.zoom_label.setText("fit" if zoom is None else f"{zoom}×")

    def render(self) -> None:
        """Turn the current step's frames into images (GUI thread)."""
        state = self.status.state if self.status is not None else RunState.IDLE
        focus = self.view.focus
        for name, canvas in self.canvases.items():
            if not self.panes[name].isVisibleTo(self):
                continue
            batch = self.view.frame(name)
            if batch is None:
                if len(self.view) and name == "noise":
                    text = "No noise prediction:\nVAE and GAN decode in one pass"
                elif state.busy:
                    text = "Loading the model…" if state == RunState.LOADING else "Generating…"
                elif self.view.trajectory is not None and self.view.trajectory.outcome == Outcome.FAILED:
                    text = "No image: the run failed (see the message above)"
                elif state == RunState.STARTING:
                    text = "Starting the engine…"
                else:
                    text = "Press Generate (Ctrl+Enter)"
                canvas.set_image(None, None, text)
                continue
            if focus is not None and focus < batch.shape[0]:
                image, layout = tile(batch[focus:focus + 1])
            else:
                image, layout = tile(batch)
            canvas.set_image(to_qimage(image), layout)
        self._update_zoom_label()
