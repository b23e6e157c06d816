"""The families side by side: diffusion, the VAE and the GAN on the same label and seeds, one
column each, one row per seed, with a plain account of what each did and its measured quality.

The diffusion column scrubs and plays through its steps (its own Playhead: the main timeline is
left alone); a VAE or GAN has one step, so it shows its one decode at every position. Widgets only:
gui/families_wiring.py runs the models and fills the columns.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.families.account import timing_line, what_it_did
from engine.families.plan import DEFAULT_SEEDS
from engine.kinds import Family
from engine.recipe import MAX_BATCH, MAX_SEED
from gui.qimage import to_qimage
from gui.style import VIEWER_BACKGROUND
from gui.trajectory_view import Playhead, TrajectoryView

TITLES = {Family.DIFFUSION: "Diffusion", Family.VAE: "VAE", Family.GAN: "GAN"}
VIEW_CHOICES = (("x_t, noisy", "x_t"), ("x̂0, predicted", "x0"))
SEED_COLUMN = 58  # the seed numbers at the left
HEADER = 34  # family and model name above each column
GAP = 6
MAX_CELL = 112  # larger than this and four rows no longer fit a small window
PLAY_FPS = 12
NO_LABEL = "any digit"


@dataclass
class Column:
    """One family's run as the grid shows it."""

    family: Family
    model: str
    view: TrajectoryView
    seconds: float | None = None  # the run's own time, once it finished
    recipe: object = None  # the recipe as run (Finished.recipe)
    info: object = None  # its ModelInfo
    quality: object = None  # engine.families.quality.MeasuredQuality | None
    state: str = "waiting"  # waiting, running, done, cancelled, failed
    message: str = ""
    notes: list[str] = field(default_factory=list)


class FamiliesGrid(QWidget):
    """Paints the columns: a header per family, then one image per seed."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.columns: list[Column] = []
        self.seeds: tuple[int, ...] = ()
        self.view_name = "x_t"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(SEED_COLUMN + 3 * 40)

    def set_layout(self, columns: list[Column], seeds: tuple[int, ...]) -> None:
        self.columns, self.seeds = columns, seeds
        self.updateGeometry()
        self.update()

    def cell_size(self, width: int | None = None) -> int:
        count = max(1, len(self.columns) or 3)
        room = ((width if width is not None else self.width()) - SEED_COLUMN - GAP * count) // count
        return max(24, min(MAX_CELL, room))

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        rows = max(1, len(self.seeds) or DEFAULT_SEEDS)
        return HEADER + rows * (self.cell_size(width) + GAP)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(SEED_COLUMN + 3 * (MAX_CELL + GAP), self.heightForWidth(SEED_COLUMN + 3 * (MAX_CELL + GAP)))

    def resizeEvent(self, event) -> None:  # noqa: N802
        """Taller for a wider dock. The dock's scroll bar is always shown, so a new height never
        changes the width back (a bar coming and going would resize this again, without end)."""
        super().resizeEvent(event)
        height = self.heightForWidth(self.width())
        if height != self.minimumHeight():
            self.setMinimumHeight(height)

    def image_for(self, column: Column):
        """(B, H, W, C) of the playhead's step in the chosen view; a VAE or GAN has its one decode.
        At the last step of a finished run, the finished samples (its x_t is still a little noisy)."""
        trajectory = column.view.trajectory
        if trajectory is not None and trajectory.final is not None and column.view.step_index() == len(trajectory) - 1:
            return trajectory.final
        frame = column.view.frame(self.view_name)
        if frame is None and len(column.view):
            frame = column.view.frame("x0")
        return frame

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), VIEWER_BACKGROUND)
        cell = self.cell_size()
        muted, text = QColor("#8a909b"), QColor("#d8dadf")
        for row, seed in enumerate(self.seeds):
            top = HEADER + row * (cell + GAP)
            painter.setPen(muted)
            painter.drawText(QRect(0, top, SEED_COLUMN - 6, cell), Qt.AlignmentFlag.AlignRight
                             | Qt.AlignmentFlag.AlignVCenter, f"seed\n{seed}")
        for index, column in enumerate(self.columns):
            left = SEED_COLUMN + index * (cell + GAP)
            painter.setPen(text)
            painter.drawText(QRect(left, 0, cell, HEADER // 2), Qt.AlignmentFlag.AlignCenter, TITLES[column.family])
            painter.setPen(muted)
            name = painter.fontMetrics().elidedText(column.model, Qt.TextElideMode.ElideMiddle, cell)
            painter.drawText(QRect(left, HEADER // 2, cell, HEADER // 2), Qt.AlignmentFlag.AlignCenter, name)
            images = self.image_for(column)
            for row in range(len(self.seeds)):
                target = QRect(left, HEADER + row * (cell + GAP), cell, cell)
                if images is not None and row < len(images):
                    painter.drawImage(target, to_qimage(images[row]))  # nearest: the smooth hint is off
                else:
                    painter.fillRect(target, QColor("#202226"))
                    painter.setPen(muted)
                    painter.drawText(target, Qt.AlignmentFlag.AlignCenter, "…" if column.state != "failed" else "✕")
        painter.end()


class FamiliesView(QWidget):
    runRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.playhead = Playhead(self)
        self.columns: list[Column] = []
        self.notes: list[str] = []  # e.g. the VAE has no class labels
        self.running = False
        self.label = QComboBox(toolTip="The digit every family draws (the VAE has no labels: it draws any digit)")
        self.label.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.label.setMinimumContentsLength(4)
        self.label.setMinimumWidth(64)
        self.first_seed = QSpinBox(toolTip="The first seed; each row is the next seed", prefix="seed ")
        self.first_seed.setRange(0, min(MAX_SEED, 2**31 - 1))
        self.first_seed.setMinimumWidth(84)  # its range would ask for a width a narrow dock has not got
        self.count = QSpinBox(toolTip="How many seeds (rows)", prefix="× ")
        self.count.setRange(1, min(8, MAX_BATCH))
        self.count.setValue(DEFAULT_SEEDS)
        self.count.setMinimumWidth(56)
        self.count.setMaximumWidth(70)
        self.run = QPushButton("Run the families", objectName="primaryButton")
        self.run.setToolTip("Run diffusion, the VAE and the GAN on this label and these seeds")
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        self.play = QToolButton(text="▶", checkable=True, toolTip="Play the diffusion steps")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.step_info = QLabel("", objectName="stepInfo")
        self.step_info.setMinimumWidth(1)  # its text changes every step: it takes the room left, no relayout
        self.view_choice = QComboBox(toolTip="What the diffusion column shows at each step")
        self.view_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.view_choice.setMinimumContentsLength(6)
        for text, name in VIEW_CHOICES:
            self.view_choice.addItem(text, name)
        self.grid = FamiliesGrid()
        self.account = QLabel(objectName="caption", wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.account.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.account.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.account.setText(self.intro_text())
        self._timer = QTimer(self, interval=1000 // PLAY_FPS)
        self._repaint = QTimer(self, singleShot=True, interval=16)  # steps arrive faster than the screen
        self._layout_widgets()
        self.run.clicked.connect(self.runRequested)
        self.cancel.clicked.connect(self.cancelRequested)
        self.slider.valueChanged.connect(lambda step: self.playhead.set_step(step))
        self.playhead.stepChanged.connect(self._step_moved)
        self.playhead.countChanged.connect(self._count_changed)
        self.play.toggled.connect(self._play_toggled)
        self._timer.timeout.connect(self._advance)
        self._repaint.timeout.connect(self.refresh)
        self.view_choice.currentIndexChanged.connect(self._view_changed)

    def _layout_widgets(self) -> None:
        controls = QHBoxLayout()
        controls.setSpacing(4)
        controls.addWidget(QLabel("Label"))
        controls.addWidget(self.label, 1)
        controls.addWidget(self.first_seed, 2)
        controls.addWidget(self.count, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run, 1)
        buttons.addWidget(self.cancel)
        scrub = QHBoxLayout()
        scrub.addWidget(self.play)
        scrub.addWidget(self.slider, 1)
        scrub.addWidget(self.view_choice)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(6, 6, 6, 6)
        column.setSpacing(6)
        column.addLayout(controls)
        column.addLayout(buttons)
        column.addWidget(self.grid)
        column.addLayout(scrub)
        column.addWidget(self.step_info)
        column.addWidget(self.account)
        column.addStretch(1)
        scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        # a dock squeezed below the controls' width scrolls sideways rather than cutting them off
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)  # see FamiliesGrid.resizeEvent
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    # -- what the wiring calls ------------------------------------------------------------------
    def set_labels(self, labels: tuple[str, ...], current: str | None) -> None:
        """The diffusion model's labels (and "any digit"); keeps the choice when it still exists."""
        keep = self.label.currentData() if self.label.count() else current
        self.label.clear()
        self.label.addItem(NO_LABEL, None)
        for label in labels:
            self.label.addItem(label, label)
        found = self.label.findData(keep if keep is not None else current)
        self.label.setCurrentIndex(found if found >= 0 else 0)

    def chosen_label(self) -> str | None:
        return self.label.currentData()

    def start(self, plan, qualities: dict) -> None:
        """A new families run: one empty column per family of the plan."""
        for column in self.columns:
            self.playhead.detach(column.view)
            column.view.deleteLater()
        self.columns = [Column(run.family, run.info.name, TrajectoryView(self.playhead, self), info=run.info,
                               recipe=run.recipe, quality=qualities.get(run.info.name)) for run in plan.runs]
        self.notes = list(plan.notes)
        self.grid.set_layout(self.columns, plan.seeds)
        self.playhead.live = True
        self.playhead.reset(0, following=True)
        self.set_running(True)
        self.refresh_account()

    def set_running(self, running: bool) -> None:
        self.running = running
        self.run.setEnabled(not running)
        self.cancel.setEnabled(running)
        if not running:
            self.playhead.live = False

    def column_changed(self) -> None:
        """Steps arrived: follow the newest (unless the person took the slider), repaint at most once a frame."""
        if not self._repaint.isActive():
            self._repaint.start()

    def refresh(self) -> None:
        count = self.playhead.step_count()
        if self.playhead.following and count:
            self.playhead.set_step(count - 1, by_person=False)
        self._update_step_info()
        self.grid.update()

    def refresh_account(self) -> None:
        self.account.setText(self.account_text())
        self.account.setToolTip(self.account_sources())

    # -- text -------------------------------------------------------------------------------
    @staticmethod
    def intro_text() -> str:
        return ("<p>Run the families: the same digit and seeds through a diffusion model, a VAE and a GAN. "
                "Diffusion takes many small denoising steps (scrub them above); the VAE and the GAN each make "
                "their image in one decode of a random vector.</p>")

    def account_text(self) -> str:
        """The timing first (the comparison in one line), then per family what it did and what its
        card measured; where the figures come from is the tooltip."""
        done = [(c.info, c.recipe, c.seconds) for c in self.columns if c.seconds is not None]
        line = timing_line(done) if self.columns and len(done) == len(self.columns) else ""
        parts = [f"<p><b>{html.escape(line)}</b></p>"] if line else []
        states = {"waiting": " <i>(waiting)</i>", "running": " <i>(running…)</i>", "cancelled": " <i>(cancelled)</i>"}
        for column in self.columns:
            did = what_it_did(column.info, column.recipe, column.seconds) if column.recipe is not None else ""
            state = (f" <b>failed:</b> {html.escape(column.message)}" if column.state == "failed"
                     else states.get(column.state, ""))
            quality = column.quality
            measured = (f"Measured: {html.escape(quality.summary())}." if quality is not None
                        else f"Not measured yet: <code>noisescope evaluate {html.escape(column.model)} --card</code> "
                             "writes its figures into its model card.")
            parts.append(f"<p><b>{TITLES[column.family]}</b> {html.escape(column.model)}{state}<br>"
                         f"{html.escape(did)}<br><span style='color:#9aa0aa'>{measured}</span></p>")
        parts += [f"<p style='color:#9aa0aa'>Note: {html.escape(note)}.</p>" for note in self.notes]
        return "".join(parts) or self.intro_text()

    def account_sources(self) -> str:
        """Where each model's figures come from: its card's own line (the account's tooltip)."""
        return "\n".join(f"{c.model}: from MODEL_CARD.md, {c.quality.how}" for c in self.columns
                         if c.quality is not None)

    def _update_step_info(self) -> None:
        diffusion = next((c for c in self.columns if c.family == Family.DIFFUSION and len(c.view)), None)
        if diffusion is None:
            self.step_info.setText("")
            return
        step = diffusion.view.current_step_event()
        trajectory = diffusion.view.trajectory
        total = trajectory.total_steps or len(diffusion.view)
        if trajectory.final is not None and diffusion.view.step_index() == len(trajectory) - 1:
            self.step_info.setText(f"diffusion: {total}/{total} steps, finished")
        else:
            self.step_info.setText(f"diffusion step {step.index + 1}/{total}, noise σ={step.sigma:.3g}")

    # -- scrubbing ----------------------------------------------------------------------------
    def _count_changed(self, count: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.blockSignals(False)

    def _step_moved(self, step: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(step)
        self.slider.blockSignals(False)
        self._update_step_info()
        self.grid.update()

    def _view_changed(self, *_) -> None:
        self.grid.view_name = self.view_choice.currentData()
        self.grid.update()

    def _play_toggled(self, playing: bool) -> None:
        if playing:
            if self.playhead.step >= self.playhead.step_count() - 1:
                self.playhead.set_step(0)
            self._timer.start()
        else:
            self._timer.stop()
        self.play.setText("⏸" if playing else "▶")

    def _advance(self) -> None:
        if self.playhead.step >= self.playhead.step_count() - 1:
            self.play.setChecked(False)
            return
        self.playhead.set_step(self.playhead.step + 1)
