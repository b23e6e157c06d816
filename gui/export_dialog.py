"""File > Export...: choose what to write from the run on screen, then hand the plan back.

The dialog only builds an ExportPlan (engine/export/plan.py) and a folder and calls
on_export(plan, folder); the window runs engine.export.plan.export_run off the GUI thread
(an MP4 of a long run takes a moment). Show it with open(), never exec().
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.errors import NoisescopeError
from engine.export.animation import FORMATS, AnimationOptions
from engine.export.plan import ExportPlan
from engine.paths import default_output_dir
from engine.trajectory import Trajectory

VIEW_NAMES = {"x_t": "Noisy sample (x_t)", "x0": "Predicted image (x0)", "both": "Both, side by side"}
FORMAT_NAMES = {"gif": "GIF", "apng": "APNG", "webp": "WebP", "mp4": "MP4"}


class ExportDialog(QDialog):
    def __init__(self, trajectory: Trajectory, on_export: Callable[[ExportPlan, Path], None],
                 folder: Path | None = None, sample: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setObjectName("exportDialog")
        self.trajectory, self.on_export = trajectory, on_export
        finished = trajectory.final is not None
        batch = max(1, trajectory.batch)

        self.samples = QCheckBox("Sample PNGs")
        self.sample_choice = QComboBox()
        self.sample_choice.addItem("every sample")
        self.sample_choice.addItems([f"sample {i + 1}" for i in range(batch)])
        self.grid = QCheckBox("The batch as one PNG grid")
        for box in (self.samples, self.grid):
            box.setEnabled(finished)
            box.setToolTip("" if finished else "the run did not finish: no final images")
        self.samples.setChecked(finished)
        self.grid.setChecked(finished and batch > 1)

        self.formats = {name: QCheckBox(FORMAT_NAMES[name]) for name in FORMATS}
        self.view = QComboBox()
        for view, text in VIEW_NAMES.items():
            self.view.addItem(text, view)
        self.subject = QComboBox()
        self.subject.addItem("the whole batch (grid)", None)
        for i in range(batch):
            self.subject.addItem(f"sample {i + 1}", i)
        self.frame_ms = _spin(10, 5000, AnimationOptions.frame_ms, " ms")
        self.hold_ms = _spin(0, 60000, AnimationOptions.hold_ms, " ms")
        self.scale = _spin(0, 64, 0, "×")
        self.scale.setSpecialValueText("auto")
        if sample is not None and 0 <= sample < batch:
            self.subject.setCurrentIndex(sample + 1)
            self.sample_choice.setCurrentIndex(sample + 1)

        self.sheet = QCheckBox("Contact sheet (every k-th step, labelled)")
        self.sheet_every = _spin(0, 1000, 0, "")
        self.sheet_every.setSpecialValueText("auto")
        self.trajectory_file = QCheckBox("Trajectory file (reopen later to scrub and export)")
        self.folder = QLineEdit(str(folder or default_output_dir()))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_folder)
        self.folder_dialog: QFileDialog | None = None
        self.error = QLabel()
        self.error.setObjectName("exportError")
        self.error.setWordWrap(True)

        images = QGroupBox("Images")
        image_rows = QFormLayout(images)
        image_rows.addRow(self.samples, self.sample_choice)
        image_rows.addRow(self.grid)
        animation = QGroupBox("Animation")
        animation_rows = QFormLayout(animation)
        format_row = QHBoxLayout()
        for box in self.formats.values():
            format_row.addWidget(box)
        animation_rows.addRow("Formats", format_row)
        animation_rows.addRow("Shows", self.view)
        animation_rows.addRow("Of", self.subject)
        animation_rows.addRow("Each step", self.frame_ms)
        animation_rows.addRow("Hold the end", self.hold_ms)
        animation_rows.addRow("Enlarge", self.scale)
        more = QGroupBox("More")
        more_rows = QFormLayout(more)
        more_rows.addRow(self.sheet, self.sheet_every)
        more_rows.addRow(self.trajectory_file)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for box in (self.samples, self.grid, self.sheet, self.trajectory_file, *self.formats.values()):
            box.toggled.connect(self._update)

        column = QVBoxLayout(self)
        for group in (images, animation, more):
            column.addWidget(group)
        column.addWidget(QLabel("Folder"))
        column.addLayout(folder_row)
        column.addWidget(self.error)
        column.addWidget(self.buttons)
        self._update()

    def plan(self) -> ExportPlan:
        """The ExportPlan the controls describe; ExportError for settings that do not fit."""
        animation = AnimationOptions(view=self.view.currentData(), frame_ms=self.frame_ms.value(),
                                     hold_ms=self.hold_ms.value(), scale=self.scale.value() or None,
                                     sample=self.subject.currentData())
        sample = self.sample_choice.currentIndex() - 1
        return ExportPlan(
            samples=self.samples.isChecked(), sample=sample if sample >= 0 else None, grid=self.grid.isChecked(),
            animations=tuple(name for name, box in self.formats.items() if box.isChecked()),
            animation=animation, sheet=self.sheet.isChecked(), sheet_every=self.sheet_every.value() or None,
            sheet_sample=self.subject.currentData() or 0, trajectory=self.trajectory_file.isChecked(),
        )

    def accept(self) -> None:
        try:
            plan = self.plan()
        except NoisescopeError as exc:
            self.error.setText(exc.message)
            return
        folder = self.folder.text().strip()
        if not folder:
            self.error.setText("choose a folder to export into")
            return
        self.on_export(plan, Path(folder).expanduser())
        super().accept()

    def choose_folder(self) -> None:
        self.folder_dialog = QFileDialog(self, "Export into", self.folder.text())
        self.folder_dialog.setFileMode(QFileDialog.FileMode.Directory)
        self.folder_dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        self.folder_dialog.fileSelected.connect(self.folder.setText)
        self.folder_dialog.open()

    def _update(self) -> None:
        chosen = any(box.isChecked() for box in (self.samples, self.grid, self.sheet, self.trajectory_file,
                                                  *self.formats.values()))
        self.export_button.setEnabled(chosen and bool(self.trajectory.steps))
        self.error.setText("" if self.trajectory.steps else "nothing to export yet: generate first")


def _spin(low: int, high: int, value: int, suffix: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin
