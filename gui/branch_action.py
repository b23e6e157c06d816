"""Branch from this step: continue the run on screen from the step the timeline shows, with the
form's settings, as a new run that streams live and is recorded with its parent link.

The person changes the form (sampler, schedule type, steps, guidance, label or prompt, eta),
scrubs to a step and branches. What a branch keeps from its parent (model, seed, batch, size:
engine/branch.py INHERITED) comes from the run, whatever the form says. The step shown is the
branch's from_step: its x_t is the sample at the input of that step, which the branch continues
(engine/course.py). The branch runs through RunController.start, the path Generate takes, and the
history links it to its parent (engine/history/recording.py finds the parent by its recipe).

Where a branch is on screen, the run caption names its parent's history id, asked of the history
on the disk thread (never the GUI thread).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QToolButton

from engine.branch import Branch
from engine.errors import InvalidRecipe
from engine.kinds import Family, Outcome
from engine.recipe import Recipe
from engine.samplers.registry import NO_SAMPLER, SAMPLERS

log = logging.getLogger(__name__)
FORM_SETTINGS = ("conditioning", "sampler", "schedule", "steps", "guidance", "eta")  # what the form changes
TEXT = "Branch from this step"


def branch_from_form(form, parent: Recipe, from_step: int) -> Recipe:
    """The branch of `parent` at `from_step` with the form's settings, made concrete for the
    parent's model (guidance left to the model resolves as the parent's did); InvalidRecipe saying
    what does not fit."""
    info = form.model_info(parent.model)
    if info is None:
        raise InvalidRecipe(f"model {parent.model} is not installed: a branch replays its run on that model")
    if form.fields.model != parent.model:
        raise InvalidRecipe(f"the form's model is {form.fields.model}, the run's is {parent.model}: a branch "
                            f"continues on its run's model; pick {parent.model} in the form")
    settings = form.build_recipe()
    changes = {name: getattr(settings, name) for name in FORM_SETTINGS}
    return parent.replace(**changes, branch=Branch(parent, from_step)).check_against_model(info)


def refusal(vm) -> str | None:
    """Why the run on screen cannot be branched now (a tooltip), or None."""
    trajectory = vm.view.trajectory
    if vm.status.busy:
        return "A run is going: branch once it has ended (or cancel it)"
    if trajectory is None or trajectory.recipe is None or not len(trajectory):
        return "Run or open a diffusion run, scrub to a step, then branch from it"
    recipe = trajectory.recipe
    if recipe.sampler == NO_SAMPLER or recipe.family not in (None, Family.DIFFUSION):
        return "A VAE or GAN run decodes in one pass: it has no step to branch from"
    if trajectory.outcome == Outcome.FAILED:
        return "This run failed: run it again before branching from it"
    if vm.form.model_info(recipe.model) is None:
        return f"Model {recipe.model} is not installed: a branch replays its run on that model"
    if vm.form.fields.model != recipe.model:
        return f"The form's model is not this run's ({recipe.model}): a branch continues on its run's model"
    return None


class BranchAction(QObject):
    """The action (Run menu and a button on the timeline), its enabled state, and the branching."""

    def __init__(self, window, vm, controller, history=None):
        super().__init__(window)
        self.window, self.vm, self.controller, self.history = window, vm, controller, history
        self.action = QAction(TEXT, window, objectName="branchAction")
        self.action.setShortcut("Ctrl+B")
        self.action.setIconText("↳ Branch")  # the timeline's button: short, the step text keeps its room
        self.action.triggered.connect(self.branch)
        self.button = QToolButton(objectName="branchButton")
        self.button.setDefaultAction(self.action)
        getattr(window, "run_menu", window.menuBar()).addAction(self.action)
        window.addAction(self.action)  # the shortcut works wherever the focus is
        window.timeline.add_tool(self.button)
        vm.status.stateChanged.connect(self.update)
        vm.view.trajectoryReset.connect(self.update)
        vm.view.stepsChanged.connect(self.update)
        vm.playhead.stepChanged.connect(self.update)
        vm.form.fieldsChanged.connect(self.update)
        vm.form.catalogChanged.connect(self.update)
        vm.view.trajectoryReset.connect(self._name_parent)
        if history is not None:
            history.recorded.connect(self._name_parent)  # a live parent may be recorded after its branch began
        self.update()

    def update(self, *_) -> None:
        why = refusal(self.vm)
        self.action.setEnabled(why is None)
        if why is None:
            event = self.vm.view.current_step_event()
            why = (f"Continue this run from the noisy sample step {event.index + 1} shows (σ = {event.sigma:.3g}) "
                   "with the form's sampler, schedule type, steps, guidance, label or prompt and eta; model, seed "
                   "and batch stay the run's (Ctrl+B)")
        self.action.setToolTip(why)
        self.button.setToolTip(why)

    def branch(self) -> None:
        if refusal(self.vm) is not None:
            return
        trajectory = self.vm.view.trajectory
        event = self.vm.view.current_step_event()
        try:
            child = branch_from_form(self.vm.form, trajectory.recipe, event.index)
        except InvalidRecipe as exc:
            self.vm.status.set_error(exc.kind, f"cannot branch: {exc.message}")
            return
        self.window.statusBar().showMessage(f"Branching from step {event.index + 1}: {describe(child)}", 15_000)
        self.controller.start(child)

    # -- the parent's history id, for the caption -------------------------------------------
    def _name_parent(self, *_) -> None:
        trajectory = self.vm.view.trajectory
        history = self.history
        if (trajectory is None or trajectory.recipe is None or trajectory.recipe.branch is None or history is None
                or history.history is None or history.disk.closed):
            return
        history.tasks.spawn(self._ask_parent(trajectory), name="branch-parent")

    async def _ask_parent(self, trajectory) -> None:
        run_id = await self.history.disk.submit(self.history.history.find_parent, trajectory.recipe)
        if self.vm.view.trajectory is trajectory:
            self.window.run_caption.set_parent_run(trajectory, run_id)


def describe(child: Recipe) -> str:
    """What the branch changes, for the status bar: "sampler DPM++ 2M → Euler; steps 10 → 6"."""
    assert child.branch is not None
    changed = child.branch.changes(child)
    changed.pop("device", None)
    if not changed:
        return "no setting changed: it ends on the run's own image"
    return "; ".join(f"{name} {_text(name, old)} → {_text(name, new)}" for name, (old, new) in changed.items())


def _text(name: str, value) -> str:
    if name == "sampler" and value in SAMPLERS:
        return SAMPLERS[value].display_name
    return value.describe() if hasattr(value, "describe") else str(value)
