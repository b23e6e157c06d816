"""The viewer: small images shown large and crisp, in three synchronized panes (x_t, x0, noise),
and for a guided run three more below them: the conditional and unconditional noise predictions
and guidance * their difference (what guidance adds to the unconditional prediction). An
autoguided run (engine/autoguidance.py) shows the model's and its guide's predictions there instead.

Each pane is an ImageCanvas; all share one ViewTransform (zoom and pan), so a zoom or drag in
one moves all three. Zoom is an integer factor (nearest neighbour, no smoothing) or "fit",
the largest integer factor that fits. A click on a sample of the batch focuses it; a click
on the focused sample goes back to the grid. For a latent model's run, "Decode this step" asks
(decodeStepRequested) for the shown step's kept latents to be decoded by the model's own VAE
off the GUI thread (engine.latent_previews.decode_step); show_decoded puts the result in the x0
pane for that step.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QImage, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.kinds import Family, Outcome
from engine.recipe_fields import NO_GUIDE
from engine.trajectory import GUIDED_VIEWS
from gui.qimage import GridLayout, best_columns, tile, to_qimage
from gui.recipe_form import RecipeForm
from gui.run_state import RunState, RunStatus
from gui.style import VIEWER_BACKGROUND
from gui.trajectory_view import TrajectoryView

VIEW_TITLES = {"x_t": "Noisy sample  xₜ", "x0": "Predicted clean  x̂₀", "noise": "Predicted noise  ε̂",
               "noise_cond": "Conditional noise  ε̂c", "noise_uncond": "Unconditional noise  ε̂u",
               "noise_guidance": "Guidance × difference  w·(ε̂c − ε̂u)"}
SHORT_TITLES = {"x_t": "Noisy  xₜ", "x0": "Clean  x̂₀", "noise": "Noise  ε̂", "decoded": "Decoded",
                "noise_cond": "Cond.  ε̂c", "noise_uncond": "Uncond.  ε̂u", "noise_guidance": "w·Δε̂"}  # narrow panes
# Autoguidance: the same three panes hold the model's prediction, its guide's and w x their difference.
AUTOGUIDED_TITLES = {"noise_cond": "Model noise  ε̂m", "noise_uncond": "Guide noise  ε̂g",
                     "noise_guidance": "Guidance × difference  w·(ε̂m − ε̂g)"}
AUTOGUIDED_SHORT = {"noise_cond": "Model  ε̂m", "noise_uncond": "Guide  ε̂g", "noise_guidance": "w·Δε̂"}
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
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap  # a narrow pane wraps, never cuts
            painter.drawText(self.rect().adjusted(6, 0, -6, 0), flags, self.placeholder)
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

    decodeStepRequested = Signal(int)  # the step whose latents to decode with the model's VAE

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
            if name in GUIDED_VIEWS:
                continue
            button = QToolButton(text=title.split("  ")[1], checkable=True, checked=True)
            button.setToolTip(f"Show or hide: {title}")
            button.toggled.connect(lambda on, v=name: self.view.set_view_visible(v, on))
            self.toggles[name] = button
            header.addWidget(button)
        # The guided views share one button (a row of six toggles would not fit a 1024-px window):
        # a click shows or hides all three, its menu each one. Off until asked: they halve the images.
        self.guidance_button = QToolButton(text="Guidance", checkable=True)
        self.guidance_button.setToolTip("Show or hide what guidance does at each step: the conditional and "
                                        "unconditional noise predictions and guidance × their difference "
                                        "(the arrow picks each one)")
        self.guidance_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.guidance_button.clicked.connect(self._show_guidance)
        guidance_menu = QMenu(self.guidance_button)
        self.guided_actions: dict[str, QAction] = {}
        for name in GUIDED_VIEWS:
            action = guidance_menu.addAction(VIEW_TITLES[name])
            action.setCheckable(True)
            action.toggled.connect(lambda on, v=name: self.view.set_view_visible(v, on))
            self.guided_actions[name] = action
        self.guidance_button.setMenu(guidance_menu)
        header.addWidget(self.guidance_button)
        header.addSpacing(12)
        self.focus_label = QLabel(objectName="caption")
        self.grid_button = QToolButton(text="Back to grid")
        self.grid_button.clicked.connect(lambda: self.view.set_focus(None))
        header.addWidget(self.focus_label)
        header.addWidget(self.grid_button)
        self.decode_button = QToolButton(text="Decode this step", toolTip="Decode this step's latents at full "
                                         "quality with the model's VAE (the live view is an approximation)")
        self.decode_button.clicked.connect(lambda: self.decodeStepRequested.emit(self.view.step_index()))
        self.decoded: tuple[object, int, object] | None = None  # (trajectory, step, (B, H, W, 3) uint8)
        header.addWidget(self.decode_button)
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

        row = QGridLayout()  # the guided views go in a second row, under the three of every step
        row.setContentsMargins(8, 4, 8, 8)
        row.setSpacing(8)
        for position, (name, title) in enumerate(VIEW_TITLES.items()):
            pane = QWidget()
            column = QVBoxLayout(pane)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            self.titles[name] = QLabel(title, objectName="paneTitle")
            if name in GUIDED_VIEWS:  # their long titles never widen a column: a narrow pane shows the short one
                self.titles[name].setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            column.addWidget(self.titles[name])
            canvas = ImageCanvas(self.transform)
            canvas.clicked.connect(self._clicked)
            canvas.resized.connect(self._update_fit_room)
            column.addWidget(canvas, 1)
            self.canvases[name], self.panes[name] = canvas, pane
            row.addWidget(pane, *divmod(position, 3))
        self.grid, self._guided = row, False
        self._guide: str | None = None  # the shown run's guide model (autoguidance), for the panes' titles

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addLayout(row, 1)

        self.transform.changed.connect(self._update_zoom_label)
        view.displayChanged.connect(self.render)
        view.viewsChanged.connect(self._sync_views)
        view.focusChanged.connect(self._sync_focus)
        view.trajectoryReset.connect(self._sync_views)  # a stored or dropped run: its own family's panes
        view.trajectoryReset.connect(self.render)
        view.trajectoryReset.connect(self._forget_decoded)
        view.stepsChanged.connect(self._guided_changed)  # a live run's first guided step shows its panes
        if status is not None:
            status.stateChanged.connect(self._state_changed)  # a bound method: let go when the panel is deleted
        if form is not None:
            form.fieldsChanged.connect(self._sync_views)
        self._sync_views()
        self._sync_focus(None)
        self.render()

    def show_decoded(self, step: int, images) -> None:
        """The full-quality decode of a step (from decodeStepRequested), shown in the x0 pane."""
        self.decoded = (self.view.trajectory, step, images)
        self.render()

    def _forget_decoded(self) -> None:
        self.decoded = None

    def _decoded_frame(self):
        if self.decoded is None:
            return None
        trajectory, step, images = self.decoded
        return images if trajectory is self.view.trajectory and step == self.view.step_index() else None

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
        """VAE and GAN decode in one pass: one image, no noisy sample, no noise prediction.
        A run on screen is laid out by its own recipe's family, not the form's model."""
        recipe, event = self.view.recipe, self.view.current_step_event()
        if recipe is not None and recipe.family is not None:
            decoder = recipe.family != Family.DIFFUSION
        elif event is not None and not self._busy():
            decoder = event.noise is None
        else:
            info = self.form.model_info() if self.form is not None else None
            decoder = info is not None and info.family != Family.DIFFUSION
        if decoder:
            return ("x0",)
        return tuple(VIEW_TITLES) if self._guided else tuple(v for v in VIEW_TITLES if v not in GUIDED_VIEWS)

    def _show_guidance(self, on: bool) -> None:
        for name in GUIDED_VIEWS:
            self.view.set_view_visible(name, on)

    def _guided_changed(self, *_) -> None:
        trajectory = self.view.trajectory
        if (trajectory is not None and trajectory.guided) != self._guided:
            self._sync_views()

    def _sync_views(self) -> None:
        self._guided = self.view.trajectory is not None and self.view.trajectory.guided
        applicable = self._applicable()
        for name, pane in self.panes.items():
            pane.setVisible(name in applicable and (self.view.views[name] or len(applicable) == 1))
            toggle = self.guided_actions[name] if name in GUIDED_VIEWS else self.toggles[name]
            toggle.setChecked(self.view.views[name])
            toggle.setEnabled(name in applicable and len(applicable) > 1)
        self.guidance_button.setVisible(self._guided and len(applicable) > 1)
        self.guidance_button.setChecked(any(self.view.views[name] for name in GUIDED_VIEWS))
        names = list(VIEW_TITLES)
        for column in range(3):  # only columns with a shown pane share the width (an empty one takes none)
            self.grid.setColumnStretch(column, int(any(self.panes[n].isVisibleTo(self) for n in names[column::3])))
        self._one_pass = len(applicable) == 1
        self._update_fit_room()

    def _update_titles(self) -> None:
        """The full title where it fits, a short one in a narrow pane (never a cut-off word)."""
        for name, label in self.titles.items():
            full, short = VIEW_TITLES[name], SHORT_TITLES[name]
            if name == "x0" and getattr(self, "_one_pass", False):
                full, short = "Decoded sample", SHORT_TITLES["decoded"]
            tip = full
            if name in GUIDED_VIEWS and self._guide is not None:
                full, short = AUTOGUIDED_TITLES[name], AUTOGUIDED_SHORT[name]
                tip = {"noise_cond": f"{full}: the model's prediction",
                       "noise_uncond": f"{full}: the guide's prediction ({self._guide})",
                       "noise_guidance": f"{full}: what autoguidance adds to the guide's prediction"}[name]
            fits = label.fontMetrics().horizontalAdvance(full) + 12 <= self.canvases[name].width()
            label.setText(full if fits else short)
            label.setToolTip(tip)
            if name in GUIDED_VIEWS:
                self.guided_actions[name].setText(full)

    def _sync_guide(self) -> None:
        """The shown run's guide model (None: classifier-free or no guidance); titles follow it."""
        recipe = self.view.recipe
        guide = getattr(recipe, "guide_model", None)
        guide = None if guide in (None, NO_GUIDE) else guide
        if guide != self._guide:
            self._guide = guide
            self._update_titles()

    def _update_fit_room(self) -> None:
        self._update_titles()
        sizes = [(c.width(), c.height()) for n, c in self.canvases.items() if self.panes[n].isVisibleTo(self)]
        room = (min(w for w, _ in sizes), min(h for _, h in sizes)) if sizes else None
        if room != self.transform.fit_room:
            self.transform.fit_room = room
            self.render()  # the grid's columns follow the room

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
        event = self.view.current_step_event()
        self.decode_button.setVisible(getattr(event, "latents", None) is not None and not state.busy)
        decoded = self._decoded_frame()
        self._sync_guide()
        self.titles["x0"].setText("Decoded with the VAE  x̂₀" if decoded is not None else
                                  VIEW_TITLES["x0"] if len(self._applicable()) > 1 else "Decoded sample")
        for name, canvas in self.canvases.items():
            if not self.panes[name].isVisibleTo(self):
                continue
            batch = decoded if name == "x0" and decoded is not None else self.view.frame(name)
            if batch is None:
                if len(self.view) and name == "noise":
                    text = "No noise prediction:\nVAE and GAN decode in one pass"
                elif len(self.view) and name in GUIDED_VIEWS:
                    text = "This step was not guided"  # a branch that turned guidance on or off
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
                room = self.transform.fit_room or (canvas.width(), canvas.height())
                room = (room[0] - 2 * FIT_MARGIN, room[1] - 2 * FIT_MARGIN)
                image, layout = tile(batch, columns=best_columns(batch.shape[0], *batch.shape[1:3], room))
            canvas.set_image(to_qimage(image), layout)
        self._update_zoom_label()
