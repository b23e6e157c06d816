"""File > Export...: choose what to write from the run on screen, then hand the plan back.

The checkboxes come from the export-format registry (engine/export/formats/registry.py), one per
format, grouped by its kind: a new format appears here without a change to this file. The
dialog only builds an ExportPlan (engine/export/plan.py) and a folder and calls
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
from engine.export.animation import AnimationOptions
from engine.export.formats import registry
from engine.export.formats.base import Kind, Needs
from engine.export.plan import ExportPlan
from engine.paths import default_output_dir
from engine.trajectory import Trajectory

VIEW_NAMES = {"x_t": "Noisy sample (x_t)", "x0": "Predicted image (x0)", "both": "Both, side by side"}
GROUP_TITLES = {Kind.IMAGE: "Images", Kind.ANIMATION: "Animation", Kind.STEPS: "Steps"}


class ExportDialog(QDialog):
    def __init__(self, trajectory: Trajectory, on_export: Callable[[ExportPlan, Path], None],
                 folder: Path | None = None, sample: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setObjectName("exportDialog")
        self.trajectory, self.on_export = trajectory, on_export
        finished = trajectory.final is not None
        batch = max(1, trajectory.batch)

        self.formats: dict[str, QCheckBox] = {}  # format id -> its checkbox, in the registry's order
        for format in registry.formats():
            box = QCheckBox(format.label)
            box.setObjectName(f"export_{format.id}")
            if format.needs is Needs.FINAL and not finished:
                box.setEnabled(False)
                box.setToolTip("the run did not finish: no final images")
            box.setChecked(box.isEnabled() and format.suggested(trajectory))
            self.formats[format.id] = box

        self.sample_choice = QComboBox()
        self.sample_choice.addItem("every sample")
        self.sample_choice.addItems([f"sample {i + 1}" for i in range(batch)])
        self.view = QComboBox()
        for view, text in VIEW_NAMES.items():
            self.view.addItem(text, view)
        self.subject = QComboBox()
        self.subject.setToolTip("also the sample the contact sheet and the ZIP of steps show")
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
        self.sheet_every = _spin(0, 1000, 0, "")
        self.sheet_every.setSpecialValueText("auto")
        self.folder = QLineEdit(str(folder or default_output_dir()))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_folder)
        self.folder_dialog: QFileDialog | None = None
        self.error = QLabel()
        self.error.setObjectName("exportError")
        self.error.setWordWrap(True)

        groups = {kind: QGroupBox(title) for kind, title in GROUP_TITLES.items()}
        rows = {kind: QFormLayout(group) for kind, group in groups.items()}
        animation_row = QHBoxLayout()
        for format in registry.formats():
            if format.kind is Kind.ANIMATION:
                animation_row.addWidget(self.formats[format.id])
            else:
                rows[format.kind].addRow(self.formats[format.id])
        rows[Kind.IMAGE].addRow("Sample PNGs of", self.sample_choice)
        rows[Kind.ANIMATION].insertRow(0, "Formats", animation_row)
        rows[Kind.ANIMATION].addRow("Shows", self.view)
        rows[Kind.ANIMATION].addRow("Of", self.subject)
        rows[Kind.ANIMATION].addRow("Each step", self.frame_ms)
        rows[Kind.ANIMATION].addRow("Hold the end", self.hold_ms)
        rows[Kind.ANIMATION].addRow("Enlarge", self.scale)
        rows[Kind.STEPS].addRow("Sheet: every k-th step", self.sheet_every)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for box in self.formats.values():
            box.toggled.connect(self._update)

        column = QVBoxLayout(self)
        for group in groups.values():
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
            formats=tuple(format_id for format_id, box in self.formats.items() if box.isChecked()),
            sample=sample if sample >= 0 else None, animation=animation,
            sheet_every=self.sheet_every.value() or None, sheet_sample=self.subject.currentData() or 0,
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
        chosen = any(box.isChecked() for box in self.formats.values())
        self.export_button.setEnabled(chosen and bool(self.trajectory.steps))
        self.error.setText("" if self.trajectory.steps else "nothing to export yet: generate first")


def _spin(low: int, high: int, value: int, suffix: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin
