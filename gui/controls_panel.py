"""The recipe controls, one per row of the field table (gui/form_controls.py makes each). They
show the form's fields and write changes back; controls that do not apply to the chosen model or
sampler are hidden (or disabled, where their absence would be confusing), never silently ignored.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gui.form_controls import FieldControl, PromptControl, SizePresetControl, describe_model, make_control
from gui.recipe_form import RecipeForm, form_name, form_rows, text_rows
from gui.run_state import RunState, RunStatus

# Where each field goes; a table row not named here lands under "More" (its own label and help).
SECTIONS = (("Model", ("model",)), ("Prompt", ("prompt", "negative")),
            ("Sampling", ("sampler", "schedule", "steps", "eta")), ("Image to image", ("init_image", "strength")),
            ("Seed", ("seed",)),
            ("Batch and conditioning", ("batch", "label", "guidance", "guide_model")), ("Size", ("width", "height")),
            ("Preview", ("preview",)))
UNLABELLED = ("model", "seed", "prompt", "negative", "preview", "init_image", "strength",
              "guide_model")  # a title or caption names it
# A caption line above a full-width control (long labels would widen every row's label column; a guide's
# name is long too).
CAPTIONED = {"negative": "Negative prompt", "init_image": "Init image", "strength": "Denoising strength",
             "guide_model": "Guide model (autoguidance)"}


def _form_layout() -> QFormLayout:
    layout = QFormLayout()
    layout.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
    layout.setHorizontalSpacing(12)
    layout.setVerticalSpacing(8)
    return layout


def _section(text: str) -> QLabel:
    return QLabel(text.upper(), objectName="sectionTitle")


class ControlsPanel(QWidget):
    generateRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, form: RecipeForm, status: RunStatus, parent: QWidget | None = None):
        super().__init__(parent)
        self.recipe_form, self.status = form, status
        self.controls: dict[str, FieldControl] = {}
        self._layouts: dict[QWidget, QFormLayout] = {}  # each control's form: the main one or "More"
        self._captions: dict[str, QLabel] = {}
        self.model_caption = QLabel(objectName="caption", wordWrap=True)
        self.guidance_note = QLabel(objectName="caption", wordWrap=True)
        self.blend_note = QLabel(objectName="caption", wordWrap=True)  # a restored prompt blend
        self.generate = QPushButton("Generate", objectName="generate", toolTip="Generate (Ctrl+Enter)")
        self.cancel = QPushButton("Cancel", objectName="cancel", toolTip="Cancel (Esc)")

        self.form = _form_layout()
        # "More" has a form of its own: its long labels ("Variation strength") would otherwise widen the
        # label column of every row and squeeze the inputs above.
        self.more_form = _form_layout()
        self.more_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a narrow panel: label above
        rows = {form_name(row): row for row in (*form_rows(), *text_rows())}
        placed = {name for _, names in SECTIONS for name in names}
        sections = [*SECTIONS, ("More", tuple(name for name in rows if name not in placed))]
        self._sections: list[tuple[QLabel, tuple[str, ...]]] = []
        for title, names in sections:
            names = tuple(name for name in names if name in rows)
            if not names:
                continue
            heading = _section(title)
            layout = self.more_form if title == "More" else self.form
            layout.addRow(heading)
            self._sections.append((heading, names))
            for name in names:
                self._add(make_control(rows[name], form), layout)
        self.form.insertRow(self.form.getWidgetPosition(self.controls["model"].widget)[0] + 1, self.model_caption)
        self.form.insertRow(self.form.getWidgetPosition(self.controls["guidance"].widget)[0] + 1, self.guidance_note)
        if "prompt" in self.controls:  # a restored prompt blend, said under the prompt it blends
            self.form.insertRow(self.form.getWidgetPosition(self.controls["prompt"].widget)[0] + 1, self.blend_note)
        self.dice, self.lock = self.controls["seed"].dice, self.controls["seed"].lock
        self.size_preset = SizePresetControl(form)
        self.form.insertRow(self.form.getWidgetPosition(self.controls["width"].widget)[0], "Preset",
                            self.size_preset.combo)
        for name in ("prompt", "negative"):
            control = self.controls[name]
            if isinstance(control, PromptControl):
                control.box.submitted.connect(self.generateRequested)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(14, 8, 14, 14)
        buttons.addWidget(self.generate, 2)
        buttons.addWidget(self.cancel, 1)
        fields = QWidget()
        column = QVBoxLayout(fields)
        column.setContentsMargins(14, 6, 14, 6)
        column.addLayout(self.form)
        column.addLayout(self.more_form)
        column.addStretch(1)
        # The fields scroll (a text model's form is taller than a 700 px window); Generate stays in view.
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(fields)
        self.fields_widget = fields
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(buttons)
        self.setMinimumWidth(270)

        self.generate.clicked.connect(self.generateRequested)
        self.cancel.clicked.connect(self.cancelRequested)
        form.catalogChanged.connect(self.refresh)
        form.fieldsChanged.connect(self.refresh)
        status.stateChanged.connect(self._sync_buttons)  # a bound method: let go when the panel is deleted
        self.refresh()

    def _add(self, control: FieldControl, layout: QFormLayout) -> None:
        name = control.name
        self.controls[name] = control
        self._layouts[control.widget] = layout
        control.edited = lambda value, name=name: self.recipe_form.set_field(name, value)
        if name in CAPTIONED:
            caption = QLabel(CAPTIONED[name], objectName="caption")
            self._captions[name] = caption
            layout.addRow(caption)
        if name in UNLABELLED:
            layout.addRow(control.widget)
        else:
            layout.addRow(control.row.label, control.widget)
        if not hasattr(QWidget, name):  # panel.steps, panel.label ...: the input (width, height: controls[...])
            setattr(self, name, control.input)

    def row_layout(self, widget: QWidget) -> QFormLayout:
        """The form layout holding a control's (or a heading's) row."""
        layout = self._layouts.get(widget)
        if layout is None:
            layout = self.more_form if self.more_form.getWidgetPosition(widget)[0] >= 0 else self.form
        return layout

    def refresh(self) -> None:
        """Show the fields, and which controls apply (GUI thread, cheap)."""
        form = self.recipe_form
        f, caps, info = form.fields, form.capabilities(), form.model_info()
        for name, control in self.controls.items():
            control.show(getattr(f, name), form, caps)
            self.row_layout(control.widget).setRowVisible(control.widget, caps.visible(name))
            if name in self._captions:
                self.row_layout(control.widget).setRowVisible(self._captions[name], caps.visible(name))
            control.input.setEnabled(caps.enabled(name))
            if caps.visible(name) and not caps.enabled(name) and caps.one_pass:
                # disabled, not hidden: the person sees why a one-pass decode has no sampler
                control.input.setToolTip(f"{str(info.family).upper()} models decode in one step: no {name}")
            else:
                control.input.setToolTip(control.row.help)
        self.model_caption.setText(describe_model(info) if info else "Looking for models…")
        needs = "a class or a guide model" if caps.visible("guide_model") else "a class: pick one above"
        note = f"Guidance needs {needs}." if caps.guidance_visible and not caps.guidance else ""
        self.guidance_note.setText(note)
        self.form.setRowVisible(self.guidance_note, bool(note))
        blend_to, blend = form.prompt_blend()
        self.blend_note.setText(f"Blended {blend:g} of the way towards “{blend_to}” (an interpolation frame's prompt); "
                                "editing the prompt drops the blend." if blend_to else "")
        if "prompt" in self.controls:
            self.form.setRowVisible(self.blend_note, bool(blend_to) and caps.takes_text)
        self.size_preset.show()
        self.form.setRowVisible(self.size_preset.combo, caps.visible("width"))
        for heading, names in self._sections:
            self.row_layout(heading).setRowVisible(heading, any(caps.visible(name) for name in names))
        self._sync_buttons()

    def _sync_buttons(self, *_) -> None:
        state = self.status.state
        self.generate.setEnabled(state != RunState.STARTING and bool(self.recipe_form.models))
        self.generate.setText("Restart" if state.busy else "Generate")
        self.cancel.setEnabled(state.live)
