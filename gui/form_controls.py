"""One control per recipe field, made from its row in the field table (engine/recipe_fields.py):
a combo for a choice, the model (grouped by kind) or the class; a spin box for a number in its
range (an optional number reads "model default" below its minimum); a text box with a dice and a
lock for the seed; a multi-line box for a prompt (Ctrl+Enter generates); a size-preset combo.

Each control shows a value (`show`, without reporting it back) and reports the person's edits
through `edited(value)`. The panel lays them out; the form state decides what applies.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from engine.autoguidance import compatible_guides
from engine.recipe_fields import CHOICE, CONDITIONING, FLOAT, IMAGE, INT, MODEL, NO_GUIDE, TEXT, RecipeField
from engine.samplers.schedules import SCHEDULES
from gui.recipe_form import Capabilities, RecipeForm, form_name, limits, preview_label, size_presets

NO_LABEL = "none"
INT32_MAX = 2**31 - 1  # a QSpinBox's limit; larger ranges (the seed) get a text box

Item = tuple[str, Any, str]  # text, value, tooltip
HEADER = "\x00group"  # an item's data: a group heading in the model list, not a choice
PROMPT_LINES = {"prompt": 4, "negative": 2}  # visible lines of each box


def model_kind(info) -> str:
    """The model list's groups: text-to-image models apart from the small pixel (digits) models."""
    return "Text to image" if getattr(info, "takes_text", False) else "Digits and small models"


def describe_model(info) -> str:
    colour = "grayscale" if info.channels == 1 else "colour"
    parts = [str(info.family), f"{info.width}×{info.height}", colour]
    if info.labels:
        parts.append(f"{len(info.labels)} classes" + (" · CFG" if info.supports_guidance else ""))
    if info.parameters:
        parts.append(f"{info.parameters / 1e6:.1f}M\u00a0params" if info.parameters >= 1e5
                     else f"{info.parameters:,}\u00a0params")
    return " · ".join(parts)


def let_shrink(widget: QWidget) -> None:
    """Inputs may be narrower than their longest text, so the recipe panel fits a small window: a
    combo elides its current item (its list still opens wide enough to read), a spin box its text."""
    if isinstance(widget, QComboBox):
        widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        widget.setMinimumContentsLength(6)
    elif isinstance(widget, QAbstractSpinBox):
        widget.setMinimumWidth(72)


def fit_list_to_items(combo: QComboBox) -> None:
    """The opened list as wide as its longest item (a long checkpoint name), even when the combo is not."""
    view = combo.view()
    view.setMinimumWidth(view.sizeHintForColumn(0) + view.verticalScrollBar().sizeHint().width() + 8)


class FieldControl:
    def __init__(self, row: RecipeField, input_widget: QWidget, widget: QWidget | None = None):
        self.row, self.name = row, form_name(row)
        self.input = input_widget  # what the person edits
        self.widget = widget or input_widget  # what the form row holds
        let_shrink(input_widget)
        self.input.setToolTip(row.help)
        self.edited: Callable[[Any], None] = lambda value: None
        self._showing = False

    def show(self, value: Any, form: RecipeForm, caps: Capabilities) -> None:
        self._showing = True
        try:
            self._show(value, form, caps)
        finally:
            self._showing = False

    def _report(self, value: Any) -> None:
        if not self._showing:
            self.edited(value)

    def _show(self, value: Any, form: RecipeForm, caps: Capabilities) -> None:
        raise NotImplementedError


class ChoiceControl(FieldControl):
    """Model, sampler, schedule type, class, or any choice row: the items fit the model and sampler."""

    def __init__(self, row: RecipeField):
        super().__init__(row, QComboBox())
        self.combo: QComboBox = self.input
        self._items: list[Item] = []
        self.combo.currentIndexChanged.connect(lambda _: self._report(self.combo.currentData()))

    def items(self, form: RecipeForm, caps: Capabilities) -> list[Item]:
        if self.row.name == "guide_model":
            return guide_items(form, caps)
        if self.row.kind == MODEL:
            groups: dict[str, list[Item]] = {}
            for m in form.models:
                groups.setdefault(model_kind(m), []).append((m.name, m.name, m.description or describe_model(m)))
            if len(groups) == 1:
                return next(iter(groups.values()))
            return [item for kind in sorted(groups) for item in [(kind, HEADER, ""), *groups[kind]]]
        if self.row.name == "preview":
            return [(preview_label(c), c, "") for c in self.row.choices]
        if self.row.kind == CONDITIONING:
            return [(NO_LABEL, None, "no class: the model draws any")] * caps.label_optional + [(x, x, "") for x in caps.labels]
        if self.row.name == "sampler":
            return [(s.display_name, s.id, s.description) for s in form.samplers]
        if self.row.name == "schedule":
            return [(SCHEDULES[s].display_name, s, SCHEDULES[s].description) for s in caps.schedules]
        return [(self.row.choice_label(c), c, "") for c in self.row.choices]

    def _show(self, value: Any, form: RecipeForm, caps: Capabilities) -> None:
        items = self.items(form, caps)
        if items != self._items:
            self._items = items
            self.combo.clear()
            for text, data, tip in items:
                self.combo.addItem(text, data)
                self.combo.setItemData(self.combo.count() - 1, tip or None, Qt.ItemDataRole.ToolTipRole)
                if data == HEADER:  # a heading: shown, not choosable
                    model = self.combo.model()
                    if isinstance(model, QStandardItemModel):
                        heading = model.item(self.combo.count() - 1)
                        heading.setEnabled(False)
                        font = heading.font()
                        font.setBold(True)
                        heading.setFont(font)
            fit_list_to_items(self.combo)
        index = self.combo.findData(value)
        self.combo.setCurrentIndex(index if index >= 0 else (0 if self.row.kind == CONDITIONING else -1))


def guide_items(form: RecipeForm, caps: Capabilities) -> list[Item]:
    """The guide model's list: the model's default (what it resolves to now), none, then every
    installed model that can guide this one (engine/autoguidance.py), and a path a recipe named."""
    info = form.model_info()
    default = caps.default_guide or NO_GUIDE
    items: list[Item] = [
        (f"default ({default})", None, "the model's own guide when no label is asked (with a label, "
         "classifier-free guidance instead)"),
        (NO_GUIDE, NO_GUIDE, "no autoguidance: the model alone (or classifier-free guidance, with a label)")]
    guides = compatible_guides(info, form.models) if info is not None else []
    items += [(m.name, m.name, f"guide {info.name} with {m.name}: {m.description or describe_model(m)}")
              for m in guides]
    chosen = form.fields.guide_model
    if chosen is not None and all(data != chosen for _, data, _ in items):  # a folder a recipe named
        items.append((chosen, chosen, "a guide model named by the recipe"))
    return items


class NumberControl(FieldControl):
    """A spin box over the row's range; an optional row's unset value sits one step below it."""

    def __init__(self, row: RecipeField):
        low, high = limits(row)
        self.step = row.step or (1 if row.kind == INT else 0.1)
        self.unset = low - self.step if row.optional else None
        spin = QSpinBox() if row.kind == INT else QDoubleSpinBox(decimals=2)
        spin.setRange(self.unset if row.optional else low, high)
        spin.setSingleStep(self.step)
        if row.optional:
            spin.setSpecialValueText(row.unset_text)
        super().__init__(row, spin)
        self.spin = spin
        spin.valueChanged.connect(self._changed)

    def _changed(self, value: float) -> None:
        if self.row.optional and value <= self.unset:
            self._report(None)
        else:
            self._report(value if self.row.kind == INT else round(value, 2))

    def _show(self, value: Any, form: RecipeForm, caps: Capabilities) -> None:
        if self.row.optional and self.name == "guidance" and caps.default_guidance is not None:
            self.spin.setSpecialValueText(f"default ({caps.default_guidance:g})")  # short: the panel may be narrow
        self.spin.setValue(self.unset if value is None else value)


class SeedControl(FieldControl):
    """A whole number too large for a spin box: typed, or drawn (⚄), or locked for the next Generate."""

    def __init__(self, row: RecipeField, form: RecipeForm):
        line = QLineEdit()
        line.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{1,19}")))
        holder = QWidget()
        layout = QHBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.dice = QToolButton(text="⚄", toolTip=f"A new random {row.label.lower()}")
        layout.addWidget(line, 1)
        layout.addWidget(self.dice)
        super().__init__(row, line, holder)
        self.line, self.form = line, form
        # Only the seed itself is locked or drawn anew on every Generate; a variation seed is just a number.
        self.lockable = self.name == "seed"
        self.lock = QToolButton(text="Lock", checkable=True,
                                toolTip="Locked: keep this seed. Unlocked: a new seed every Generate")
        if self.lockable:
            layout.addWidget(self.lock)
        line.editingFinished.connect(self._typed)
        self.dice.clicked.connect(self._draw)
        self.lock.toggled.connect(lambda on: self._showing or form.set_field("seed_locked", on))

    def _draw(self) -> None:
        if self.lockable:
            self.form.new_seed()
        else:
            self.form.set_field(self.name, random.randrange(int(self.row.maximum) + 1))

    def _typed(self) -> None:
        text = self.line.text()
        if text:
            self._report(min(int(text), int(self.row.maximum)))
        else:
            self.show(getattr(self.form.fields, self.name), self.form, self.form.capabilities())

    def _show(self, value: Any, form: RecipeForm, caps: Capabilities) -> None:
        if self.line.text() != str(value):
            self.line.setText(str(value))
        locked = form.fields.seed_locked
        self.lock.setChecked(locked)
        self.lock.setText("Locked" if locked else "Lock")


class PromptBox(QPlainTextEdit):
    """Multi-line text; Ctrl+Enter asks to generate instead of adding a line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class PromptControl(FieldControl):
    """The prompt or the negative prompt of a text model."""

    def __init__(self, row: RecipeField):
        box = PromptBox()
        box.setTabChangesFocus(True)  # Tab moves on, as in the rest of the form
        box.setPlaceholderText(row.help[:1].upper() + row.help[1:])
        lines = PROMPT_LINES.get(row.name, 2)
        box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
        super().__init__(row, box)
        self.box = box
        box.textChanged.connect(lambda: self._report(box.toPlainText()))

    def _show(self, value: Any, form: RecipeForm, caps: Capabilities) -> None:
        if self.box.toPlainText() != (value or ""):  # never while typing: the cursor stays put
            self.box.setPlainText(value or "")


class SizePresetControl:
    """One combo that sets width and height together: the model's own size, or a preset."""

    def __init__(self, form: RecipeForm):
        self.form, self.name = form, "size_preset"
        self.combo = QComboBox(toolTip="Common sizes; width and height below take any multiple of 8")
        let_shrink(self.combo)
        self._showing = False
        self.combo.currentIndexChanged.connect(self._chosen)

    def _chosen(self, index: int) -> None:
        data = self.combo.itemData(index)
        if not self._showing and isinstance(data, tuple):
            self.form.set_size(*data)

    def show(self) -> None:
        self._showing = True
        try:
            info, f = self.form.model_info(), self.form.fields
            presets = size_presets(info)
            wanted = [(label, (w, h)) for label, w, h in presets]
            if wanted != [(self.combo.itemText(i), self.combo.itemData(i)) for i in range(self.combo.count())]:
                self.combo.clear()
                for label, size in wanted:
                    self.combo.addItem(label, size)
                self.combo.addItem("Custom", None)
                fit_list_to_items(self.combo)
            current = (f.width, f.height)
            if info is not None and current == (info.width, info.height):
                current = (None, None)
            sizes = [self.combo.itemData(i) for i in range(self.combo.count())]
            self.combo.setCurrentIndex(sizes.index(current) if current in sizes else self.combo.count() - 1)
        finally:
            self._showing = False


class InitImageControl(FieldControl):
    """The init image (image-to-image): its file's name, Choose… (a non-blocking file dialog) and ✕.
    The form holds it as the recipe's {path, sha256} dict; the file is hashed when it is chosen."""

    FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif);;All files (*)"

    def __init__(self, row: RecipeField, form: RecipeForm):
        self.name_label = QLineEdit(readOnly=True, placeholderText="none: a run from noise")
        holder = QWidget()
        layout = QHBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.choose = QToolButton(text="Choose…", toolTip="Pick the picture the run starts from")
        self.clear = QToolButton(text="✕", toolTip="No init image: a run from noise")
        layout.addWidget(self.name_label, 1)
        layout.addWidget(self.choose)
        layout.addWidget(self.clear)
        super().__init__(row, self.name_label, holder)
        self.form, self.dialog = form, None
        self.choose.clicked.connect(self.open_dialog)
        self.clear.clicked.connect(lambda: self._report(None))

    def open_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        self.dialog = QFileDialog(self.widget, "Init image", "", self.FILTER)
        self.dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        self.dialog.fileSelected.connect(self.pick)
        self.dialog.open()  # not exec(): the run going on goes on

    def pick(self, path: str) -> None:
        """Use this file as the init image; a file that cannot be read goes to the form's error."""
        from engine.errors import InvalidRecipe
        from engine.init_image import InitImage

        try:
            self._report(InitImage.from_file(path).to_dict())
        except InvalidRecipe as exc:
            self.form.problem.emit(exc.message)

    def _show(self, value: Any, form: RecipeForm, caps: Capabilities) -> None:
        from pathlib import Path

        text = Path(value["path"]).name if isinstance(value, dict) else ""
        if isinstance(value, dict) and text.startswith(value["sha256"]):  # a drawing, kept by its hash
            text = f"drawing {value['sha256'][:6]}"
        if self.name_label.text() != text:
            self.name_label.setText(text)
            self.name_label.setCursorPosition(0)
            self.name_label.setToolTip(value["path"] if isinstance(value, dict) else self.row.help)
        self.clear.setEnabled(value is not None)
        self.choose.setEnabled(caps.enabled(self.name))
        self.clear.setEnabled(value is not None and caps.enabled(self.name))


def make_control(row: RecipeField, form: RecipeForm) -> FieldControl:
    """The control for a row, by its kind."""
    if row.kind == IMAGE:
        return InitImageControl(row, form)
    if row.kind in (CHOICE, MODEL, CONDITIONING):
        return ChoiceControl(row)
    if row.kind == TEXT:
        return PromptControl(row)
    if row.kind == INT and limits(row)[1] > INT32_MAX:
        return SeedControl(row, form)
    if row.kind in (INT, FLOAT):
        return NumberControl(row)
    raise ValueError(f"the window has no control for a {row.kind} field ({row.name})")
