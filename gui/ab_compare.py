"""A/B: the form's recipe (A) and a copy with one setting changed (B), the same seed, run one after
the other and opened side by side in a comparison window.

Run > A/B… shows a small non-modal dialog: the setting (sampler, steps, schedule type, guidance,
label or prompt, eta: those that mean something to the model), and B's value. The runs go through
the run controller as Generate's do (so both are recorded in the history); once B has ended the
pair is checked and aligned on the comparison's worker and shown. A run that fails or is cancelled
ends the A/B with one line saying so.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from engine.conditioning import ClassLabel, TextPrompt
from engine.errors import InvalidRecipe
from engine.kinds import Outcome
from engine.recipe import Recipe
from engine.recipe_fields import CHOICE, field

SETTINGS = ("sampler", "steps", "schedule", "guidance", "conditioning", "eta")  # the list


def settings_for(recipe: Recipe, info) -> list[str]:
    """The settings an A/B can change for this recipe's model."""
    names = [name for name in SETTINGS if info is None or field(name).applies(info, recipe)
             or name == "conditioning"]  # the field's row applies to labels; a prompt is changed here too
    if not isinstance(recipe.conditioning, ClassLabel | TextPrompt):
        names.remove("conditioning")  # unconditional: no label or prompt to change
    return names


def changed_recipe(recipe: Recipe, name: str, text: str) -> Recipe:
    """B: the recipe with one setting read from what the person typed or picked; InvalidRecipe if it
    is no value of that setting or B would be A."""
    if name == "conditioning":
        kind = "prompt" if isinstance(recipe.conditioning, TextPrompt) else "label"
        b = recipe.replace(**{kind: text.strip()})
    else:
        b = recipe.replace(**{name: field(name).from_text(text)})
    if b == recipe:
        raise InvalidRecipe(f"B's {field(name).label.lower()} is A's: pick another value to compare")
    return b


class ABDialog(QDialog):
    """Which setting B changes, and to what. `chosen(b_recipe)` is called on Run."""

    def __init__(self, recipe: Recipe, info, on_run, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("A/B: change one setting")
        self.setMinimumWidth(380)
        self.recipe, self.on_run = recipe, on_run
        self.setting = QComboBox()
        for name in settings_for(recipe, info):
            label = "Label" if name == "conditioning" and isinstance(recipe.conditioning, ClassLabel) else \
                "Prompt" if name == "conditioning" else field(name).label
            self.setting.addItem(label, name)
        self.value_choice, self.value_text = QComboBox(), QLineEdit()
        self.error = QLabel(objectName="caption", wordWrap=True)
        form = QFormLayout(self)
        form.addRow(QLabel(f"A: the recipe in the form (seed {recipe.seed}).\nB: the same, but", wordWrap=True))
        form.addRow("Setting", self.setting)
        form.addRow("B's value", self.value_choice)
        form.addRow("B's value", self.value_text)
        form.addRow(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.run_button = self.buttons.addButton("Run A and B", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._run)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.form = form
        self.setting.currentIndexChanged.connect(self._setting_changed)
        self._setting_changed()
        self.run_button.setEnabled(self.setting.count() > 0)

    def _setting_changed(self, *_) -> None:
        name = self.setting.currentData()
        spec = field(name) if name else None
        is_choice = spec is not None and spec.kind == CHOICE
        self.form.setRowVisible(self.value_choice, is_choice)
        self.form.setRowVisible(self.value_text, not is_choice)
        if spec is None:
            return
        current = getattr(self.recipe, name)
        if is_choice:
            self.value_choice.clear()
            for choice in spec.choices_for(self.recipe):
                if choice != current:
                    self.value_choice.addItem(spec.choice_label(choice), choice)
        else:
            text = (current.prompt if isinstance(current, TextPrompt) else current.label
                    if isinstance(current, ClassLabel) else spec.to_text(current))
            self.value_text.setText(str(text))
        self.error.setText("")

    def value(self) -> str:
        name = self.setting.currentData()
        return self.value_choice.currentData() if field(name).kind == CHOICE else self.value_text.text()

    def _run(self) -> None:
        try:
            b = changed_recipe(self.recipe, self.setting.currentData(), self.value() or "")
        except InvalidRecipe as exc:
            self.error.setText(exc.message)  # stays open: the person fixes the value
            return
        self.accept()
        self.on_run(b)


def _matches(ran: Recipe, asked: Recipe) -> bool:
    """Whether a run that ended is this A/B's: its seed and settings as asked (a setting left unset,
    such as guidance, the engine fills in with the model's default)."""
    return ran.seed == asked.seed and all(getattr(asked, name) in (None, getattr(ran, name)) for name in SETTINGS)


class ABRun(QObject):
    """Runs A then B through the controller; `on_done(a, b)` with both trajectories, or
    `on_stopped(text)` when one failed or was cancelled (a failure is in the banner already)."""

    def __init__(self, vm, controller, a: Recipe, b: Recipe, on_done, on_stopped, parent: QObject | None = None):
        super().__init__(parent)
        self.vm, self.controller, self.recipes = vm, controller, (a, b)
        self.on_done, self.on_stopped = on_done, on_stopped
        self.ended: list = []
        vm.runEnded.connect(self._ended)
        controller.start(a)

    def _ended(self, trajectory) -> None:
        expected = self.recipes[len(self.ended)]
        if trajectory.recipe is None or not _matches(trajectory.recipe, expected):
            return  # another run (one this A/B superseded)
        if trajectory.outcome != Outcome.FINISHED:
            self._stop()
            self.on_stopped(f"A/B stopped: run {'AB'[len(self.ended)]} {trajectory.outcome.value}")
            return
        self.ended.append(trajectory)
        if len(self.ended) == 1:
            self.controller.start(self.recipes[1])
        else:
            self._stop()
            self.on_done(self.ended[0], self.ended[1])

    def _stop(self) -> None:
        self.vm.runEnded.disconnect(self._ended)
        self.deleteLater()
