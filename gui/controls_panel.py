"""The recipe controls. They show the view-model's fields and write changes back; controls that
do not apply to the chosen model or sampler are hidden (or disabled, where their absence would
be confusing), never silently ignored."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.view_model import CANCELLING, MAX_BATCH, MAX_SEED, MAX_STEPS, STARTING, ViewModel

NO_LABEL = "none"


def describe_model(info) -> str:
    colour = "grayscale" if info.channels == 1 else "colour"
    parts = [info.family, f"{info.width}×{info.height}", colour]
    if info.labels:
        parts.append(f"{len(info.labels)} classes" + (" · CFG" if info.supports_guidance else ""))
    if info.parameters:
        parts.append(f"{info.parameters / 1e6:.1f}M\u00a0params" if info.parameters >= 1e5
                     else f"{info.parameters:,}\u00a0params")
    return " · ".join(parts)


def _section(text: str) -> QLabel:
    return QLabel(text.upper(), objectName="sectionTitle")


class ControlsPanel(QWidget):
    generateRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, view_model: ViewModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.vm = view_model
        self._updating = False
        self.model = QComboBox()
        self.model_caption = QLabel(objectName="caption", wordWrap=True)
        self.sampler = QComboBox()
        self.steps = QSpinBox(minimum=1, maximum=MAX_STEPS)
        self.eta = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.1, decimals=2)
        self.eta.setToolTip("0: deterministic DDIM; 1: as random as DDPM")
        self.seed = QLineEdit()
        self.seed.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{1,19}")))
        self.dice = QToolButton(text="⚄", toolTip="A new random seed")
        self.lock = QToolButton(text="Lock", checkable=True,
                                toolTip="Locked: keep this seed. Unlocked: a new seed every Generate")
        self.batch = QSpinBox(minimum=1, maximum=MAX_BATCH)
        self.label = QComboBox()
        self.guidance = QDoubleSpinBox(minimum=0.0, maximum=30.0, singleStep=0.5, decimals=1)
        self.guidance_note = QLabel(objectName="caption", wordWrap=True)
        self.generate = QPushButton("Generate", objectName="generate", toolTip="Generate (Ctrl+Enter)")
        self.cancel = QPushButton("Cancel", objectName="cancel", toolTip="Cancel (Esc)")

        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.form.setHorizontalSpacing(12)
        self.form.setVerticalSpacing(8)
        self.form.addRow(_section("Model"))
        self.form.addRow(self.model)
        self.form.addRow(self.model_caption)
        self.form.addRow(_section("Sampling"))
        self.form.addRow("Sampler", self.sampler)
        self.form.addRow("Steps", self.steps)
        self.form.addRow("Eta", self.eta)
        self.form.addRow(_section("Seed"))
        seed_row = QHBoxLayout()
        seed_row.setSpacing(4)
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.dice)
        seed_row.addWidget(self.lock)
        self.form.addRow("Seed", seed_row)
        self.form.addRow(_section("Batch and conditioning"))
        self.form.addRow("Batch size", self.batch)
        self.form.addRow("Class", self.label)
        self.form.addRow("Guidance", self.guidance)
        self.form.addRow(self.guidance_note)

        buttons = QHBoxLayout()
        buttons.addWidget(self.generate, 2)
        buttons.addWidget(self.cancel, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 6, 14, 14)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setMinimumWidth(270)

        self.model.currentIndexChanged.connect(lambda _: self._write("model", self.model.currentData()))
        self.sampler.currentIndexChanged.connect(lambda _: self._write("sampler", self.sampler.currentData()))
        self.steps.valueChanged.connect(lambda v: self._write("steps", v))
        self.eta.valueChanged.connect(lambda v: self._write("eta", round(v, 2)))
        self.seed.editingFinished.connect(self._seed_edited)
        self.dice.clicked.connect(view_model.new_seed)
        self.lock.toggled.connect(lambda on: self._write("seed_locked", on))
        self.batch.valueChanged.connect(lambda v: self._write("batch", v))
        self.label.currentIndexChanged.connect(lambda _: self._write("label", self.label.currentData()))
        self.guidance.valueChanged.connect(lambda v: self._write("guidance", round(v, 2)))
        self.generate.clicked.connect(self.generateRequested)
        self.cancel.clicked.connect(self.cancelRequested)
        view_model.catalogChanged.connect(self._fill_catalog)
        view_model.fieldsChanged.connect(self.refresh)
        view_model.runStateChanged.connect(lambda _: self._sync_buttons())
        self._fill_catalog()

    def _write(self, name: str, value) -> None:
        if self._updating or (value is None and name != "label"):
            return
        self.vm.set_field(name, value)

    def _seed_edited(self) -> None:
        text = self.seed.text()
        if text:
            self.vm.set_field("seed", min(int(text), MAX_SEED))
        else:
            self.refresh()

    def _fill_catalog(self) -> None:
        self._updating = True
        self.model.clear()
        for info in self.vm.models:
            self.model.addItem(info.name, info.name)
            self.model.setItemData(self.model.count() - 1, info.description or describe_model(info),
                                   Qt.ItemDataRole.ToolTipRole)
        self.sampler.clear()
        for spec in self.vm.samplers:
            self.sampler.addItem(spec.display_name, spec.id)
            self.sampler.setItemData(self.sampler.count() - 1, spec.description, Qt.ItemDataRole.ToolTipRole)
        self._updating = False
        self.refresh()

    def refresh(self) -> None:
        """Show the fields, and which controls apply (GUI thread, cheap)."""
        self._updating = True
        try:
            f, caps, info = self.vm.fields, self.vm.capabilities(), self.vm.model_info()
            self.model.setCurrentIndex(self.model.findData(f.model))
            self.model_caption.setText(describe_model(info) if info else "Looking for models…")
            self.sampler.setCurrentIndex(self.sampler.findData(f.sampler))
            self.steps.setValue(f.steps)
            self.eta.setValue(f.eta)
            if self.seed.text() != str(f.seed):
                self.seed.setText(str(f.seed))
            self.lock.setChecked(f.seed_locked)
            self.lock.setText("Locked" if f.seed_locked else "Lock")
            self.batch.setValue(f.batch)
            if [self.label.itemData(i) for i in range(self.label.count())] != self._label_items(caps):
                self.label.clear()
                for value in self._label_items(caps):
                    self.label.addItem(NO_LABEL if value is None else value, value)
            self.label.setCurrentIndex(max(0, self.label.findData(f.label)) if f.label else 0)
            self.guidance.setValue(f.guidance)

            # Sampler and steps exist for diffusion only: disabled (not hidden) for VAE and GAN,
            # so the person sees why a one-step decode has no sampler.
            for widget in (self.sampler, self.steps):
                widget.setEnabled(caps.sampler)
                widget.setToolTip("" if caps.sampler or info is None else
                                  f"{info.family.upper()} models decode in one step: no sampler")
            self.form.setRowVisible(self.eta, caps.eta)
            self.form.setRowVisible(self.label, bool(caps.labels))
            self.form.setRowVisible(self.guidance, caps.guidance_visible)
            self.guidance.setEnabled(caps.guidance)
            note = "" if not caps.guidance_visible or caps.guidance else "Guidance needs a class: pick one above."
            self.guidance_note.setText(note)
            self.form.setRowVisible(self.guidance_note, bool(note))
        finally:
            self._updating = False
        self._sync_buttons()

    @staticmethod
    def _label_items(caps) -> list:
        return ([None] if caps.label_optional else []) + list(caps.labels)

    def _sync_buttons(self) -> None:
        state = self.vm.run_state
        self.generate.setEnabled(state != STARTING and bool(self.vm.models))
        self.generate.setText("Restart" if self.vm.busy else "Generate")
        self.cancel.setEnabled(self.vm.busy and state != CANCELLING)
