"""The comparison window: 2 to 4 recorded runs side by side on one playhead, and a difference pane.

One pane per run (its predicted clean image x0 by default, or the noisy sample x_t), each
captioned with the step of that run it shows ("step 7/20, sigma 1.01"); one slider drives all of
them, the runs aligned by noise level (default) or by fraction of the run (engine.compare.alignment).
The difference pane shows |A - B| of one pair (a chooser when there are more than two runs: six
heat maps at once would not be readable) with its mean absolute difference and PSNR.

Frames are made on the comparison's own worker thread (gui/compare_frames.py) and kept in a cache;
the slider asks for the newest position only, so a fast scrub never queues up stale work, and
the GUI thread never waits. Export writes an animation and a contact sheet through
engine.compare.export on the disk thread (atomic writes, every run's recipe inside).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.compare.alignment import Alignment, align
from engine.compare.difference import Difference
from engine.compare.export import ANIMATIONS, SHEET
from engine.compare.options import CompareOptions
from engine.compare.panes import pairs, run_caption
from engine.compare.runs import LETTERS, CompareRun
from gui.compare_frames import Frame, FrameCache, FrameKey, render
from gui.disk_worker import DiskWorker
from gui.image_viewer import ImageCanvas, ViewTransform
from gui.tasks import TaskKeeper

ALIGN_CHOICES = (("sigma", "noise level (sigma)"), ("fraction", "fraction of the run"))
VIEW_CHOICES = (("x0", "predicted clean x̂₀"), ("x_t", "noisy sample xₜ"))
PLAY_MS = 150  # one position per tick, as the exported animation shows them

# Exports: (runs, folder, formats, options) -> a future of the files written.
Exporter = Callable[[Sequence[CompareRun], Path, tuple[str, ...], CompareOptions], "asyncio.Future"]


class ComparePane(QWidget):
    """A title (which run), the image, and a caption (which of its steps is shown)."""

    def __init__(self, title: str, transform: ViewTransform, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel(title, objectName="paneTitle", wordWrap=True)
        self.title.setToolTip(title)
        self.canvas = ImageCanvas(transform)
        self.canvas.setMinimumSize(96, 96)
        self.canvas.placeholder = "loading…"
        self.caption = QLabel(objectName="caption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.setSpacing(2)
        column.addWidget(self.title)
        column.addWidget(self.canvas, 1)
        column.addWidget(self.caption)


class CompareView(QWidget):
    frameShown = Signal(object)  # the Frame now on screen

    def __init__(self, runs: Sequence[CompareRun], alignment: Alignment, notes: Sequence[str], worker: DiskWorker,
                 tasks: TaskKeeper, exporter: Exporter | None = None, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("compareView")
        self.setWindowTitle("Compare: " + ", ".join(f"{LETTERS[i]} {run.name}" for i, run in enumerate(runs)))
        self.runs, self.trajectories = list(runs), [run.trajectory for run in runs]
        self.alignments: dict[str, Alignment] = {alignment.mode: alignment}
        self.alignment = alignment
        self.worker, self.tasks, self.exporter = worker, tasks, exporter
        self.cache = FrameCache()
        self.shown: Frame | None = None
        self.wanted: FrameKey | None = None
        self._rendering = False
        self._closed = False
        self.folder: Path | None = None
        self.folder_dialog: QFileDialog | None = None

        self.align_combo, self.view_combo = QComboBox(), QComboBox()
        for combo, choices, tip in ((self.align_combo, ALIGN_CHOICES, "Line the runs' steps up by"),
                                    (self.view_combo, VIEW_CHOICES, "Show each run's")):
            for value, text in choices:
                combo.addItem(text, value)
            combo.setToolTip(tip)
        self.align_combo.setCurrentIndex(self.align_combo.findData(alignment.mode))
        self.sample_spin = QSpinBox(prefix="sample ")
        self.sample_spin.setRange(0, min(t.batch for t in self.trajectories) - 1)
        self.sample_spin.setVisible(self.sample_spin.maximum() > 0)
        self.pair_combo = QComboBox()
        self.pair_combo.setToolTip("The pair whose difference is shown")
        self.pairs = pairs(len(runs))  # the combo's index: Qt hands a tuple back as a list
        for first, second in self.pairs:
            self.pair_combo.addItem(f"|{LETTERS[first]} − {LETTERS[second]}|")
        self.pair_combo.setVisible(len(runs) > 2)
        self.animation_combo = QComboBox()
        self.animation_combo.addItems(ANIMATIONS)
        self.animation_combo.setToolTip("The animation written beside the contact sheet")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write the comparison as an animation and a contact sheet, every run's "
                                      "recipe inside")
        self.export_button.setEnabled(exporter is not None)
        self.export_button.clicked.connect(self.choose_folder)
        bar = QHBoxLayout()
        for label, widget in (("Align by", self.align_combo), ("Show", self.view_combo)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.sample_spin)
        bar.addStretch(1)
        bar.addWidget(self.animation_combo)
        bar.addWidget(self.export_button)

        self.transform = ViewTransform()  # one zoom for every pane
        self.panes = [ComparePane(f"{LETTERS[i]}: {run.name} · {run_caption(run.trajectory)}", self.transform)
                      for i, run in enumerate(runs)]
        self.difference_pane = ComparePane("", self.transform)
        self.difference_pane.title.hide()
        self.difference_pane.layout().insertWidget(0, self.pair_combo if len(runs) > 2 else
                                                   QLabel(f"|{LETTERS[0]} − {LETTERS[1]}|", objectName="paneTitle"))
        grid = QGridLayout()
        grid.setSpacing(4)
        cells = [*self.panes, self.difference_pane]
        for pane in cells:
            pane.canvas.resized.connect(self._update_fit_room)
        columns = 3 if len(cells) in (3, 5) else 2  # 3 in a row, 2x2, or 3 over 2
        for index, pane in enumerate(cells):
            grid.addWidget(pane, index // columns, index % columns)
        for row in range(grid.rowCount()):
            grid.setRowStretch(row, 1)
        for column in range(columns):
            grid.setColumnStretch(column, 1)

        self.notes = QLabel("\n".join(notes), objectName="caption", wordWrap=True)
        self.notes.setVisible(bool(notes))
        self.message = QLabel(objectName="caption", wordWrap=True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("One playhead for every run (Left/Right step through it)")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.position_label = QLabel(objectName="stepInfo")
        self.position_label.setMinimumWidth(190)
        self.timer = QTimer(self, interval=PLAY_MS)
        self.timer.timeout.connect(self._tick)
        self.play_button.toggled.connect(lambda on: self.timer.start() if on else self.timer.stop())
        bottom = QHBoxLayout()
        bottom.addWidget(self.play_button)
        bottom.addWidget(self.slider, 1)
        bottom.addWidget(self.position_label)

        column = QVBoxLayout(self)
        column.setContentsMargins(8, 8, 8, 8)
        column.addLayout(bar)
        column.addLayout(grid, 1)
        column.addWidget(self.notes)
        column.addLayout(bottom)
        column.addWidget(self.message)

        self.slider.valueChanged.connect(self._request)
        self.view_combo.currentIndexChanged.connect(self._request)
        self.sample_spin.valueChanged.connect(self._request)
        self.pair_combo.currentIndexChanged.connect(self._request)
        self.align_combo.currentIndexChanged.connect(self._realign)
        self._set_alignment(alignment, len(alignment) - 1)  # the final images first: where runs differ plainly
        self.resize(1100, 720)

    # -- what tests and the wiring read ----------------------------------------------------
    @property
    def position(self) -> int:
        return self.slider.value()

    def key(self) -> FrameKey:
        return FrameKey(self.alignment.mode, self.slider.value(), self.view_combo.currentData(),
                        self.sample_spin.value(), self.pairs[max(0, self.pair_combo.currentIndex())])

    def options(self) -> CompareOptions:
        return CompareOptions(align=self.alignment.mode, view=self.view_combo.currentData(),
                              sample=self.sample_spin.value())

    @property
    def difference(self) -> Difference | None:
        return self.shown.difference if self.shown is not None else None

    def settled(self) -> bool:
        """The frame on screen is the one the controls ask for."""
        return self.shown is not None and self.shown.key == self.key() and not self._rendering

    def choose_pair(self, first: int, second: int) -> None:
        """Show |first - second| (run indexes, first < second)."""
        self.pair_combo.setCurrentIndex(self.pairs.index((first, second)))

    # -- the playhead ----------------------------------------------------------------------
    def step_by(self, delta: int) -> None:
        self.slider.setValue(self.slider.value() + delta)

    def _tick(self) -> None:
        self.slider.setValue((self.slider.value() + 1) % (self.slider.maximum() + 1))

    def _set_alignment(self, alignment: Alignment, position: int) -> None:
        self.alignment = self.alignments[alignment.mode] = alignment
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(alignment) - 1)
        self.slider.setValue(position)
        self.slider.blockSignals(False)
        self._request()

    def _realign(self, *_) -> None:
        """Another alignment: computed off the GUI thread (a 1000-step run has many positions), and
        the playhead kept on run A's step."""
        mode = self.align_combo.currentData()
        shown = self.alignment.shown(self.position, 0)
        final = self.alignment.positions[self.position].final
        if mode in self.alignments:
            self._aligned(self.alignments[mode], shown, final)
        elif not self.worker.closed:
            self.tasks.spawn(self._align(mode, shown, final), name="compare-align")

    async def _align(self, mode: str, shown: int | None, final: bool) -> None:
        alignment = await self.worker.submit(align, self.trajectories, mode)
        if not self._closed and self.align_combo.currentData() == mode:
            self._aligned(alignment, shown, final)

    def _aligned(self, alignment: Alignment, shown: int | None, final: bool) -> None:
        position = len(alignment) - 1 if final or shown is None else alignment.nearest_position(0, shown)
        self._set_alignment(alignment, position)

    def _request(self, *_) -> None:
        """Show the controls' frame: from the cache now, or made on the worker (newest wins)."""
        key = self.key()
        self.wanted = key
        self._show_position_label()
        cached = self.cache.get(key)
        if cached is not None:
            self._show(cached)
        elif not self._rendering and not self.worker.closed:
            self._rendering = True
            self.tasks.spawn(self._render(), name="compare-frame")

    async def _render(self) -> None:
        try:
            while not self._closed and self.wanted is not None and (self.shown is None or self.shown.key != self.wanted):
                key, alignment = self.wanted, self.alignments[self.wanted.align]
                frame = self.cache.get(key) or await self.worker.submit(render, self.trajectories, alignment, key)
                if self._closed:
                    return
                self.cache.put(frame)
                if key == self.wanted:
                    self._show(frame)
        finally:
            self._rendering = False

    def _show(self, frame: Frame) -> None:
        self.shown = frame
        for pane, image, label in zip(self.panes, frame.images, frame.labels, strict=True):
            pane.canvas.set_image(image, None)
            pane.caption.setText(label)
        self.difference_pane.canvas.set_image(frame.heat, None)
        self.difference_pane.caption.setText(frame.difference.text())
        self.frameShown.emit(frame)

    def _show_position_label(self) -> None:
        position = self.alignment.positions[self.position]
        if position.final:
            where = "final images"
        elif self.alignment.mode == "sigma":
            where = f"sigma {position.level:.3g}"
        else:
            where = f"{position.level:.0%} of the run"
        self.position_label.setText(f"{self.position + 1}/{len(self.alignment)} · {where}")

    # -- export ----------------------------------------------------------------------------
    def choose_folder(self) -> None:
        """A folder, asked without blocking (open(), never exec())."""
        self.folder_dialog = QFileDialog(self, "Export the comparison into", str(self.folder or Path.home()))
        self.folder_dialog.setFileMode(QFileDialog.FileMode.Directory)
        self.folder_dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        self.folder_dialog.fileSelected.connect(lambda folder: self.export_to(Path(folder)))
        self.folder_dialog.open()

    def export_to(self, folder: Path) -> asyncio.Task | None:
        """The animation chosen and a contact sheet, written on the disk thread; the task reports them."""
        if self.exporter is None:
            return None
        self.folder = Path(folder)
        formats = (self.animation_combo.currentText(), SHEET)
        self.message.setText(f"Exporting to {folder}…")
        self.export_button.setEnabled(False)
        future = self.exporter(self.runs, Path(folder), formats, self.options())
        return self.tasks.spawn(self._exported(future, folder), name="compare-export")

    async def _exported(self, future, folder) -> None:
        try:
            written = await future
        except Exception as exc:
            text = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            if not self._closed:
                self.message.setText(f"The comparison was not exported: {text}")
            return
        finally:
            if not self._closed:
                self.export_button.setEnabled(True)
        if not self._closed:
            self.message.setText(f"Exported {', '.join(Path(path).name for path in written)} to {folder}")

    # -- plumbing --------------------------------------------------------------------------
    def _update_fit_room(self) -> None:
        """One zoom for every pane: what fits the smallest (the difference pane's chooser takes room)."""
        canvases = [pane.canvas for pane in (*self.panes, self.difference_pane)]
        self.transform.fit_room = (min(c.width() for c in canvases), min(c.height() for c in canvases))
        for canvas in canvases:
            canvas.update()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.step_by(-1 if event.key() == Qt.Key.Key_Left else 1)
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        self._closed = True
        self.timer.stop()
        super().closeEvent(event)
