"""Drop-to-restore asks the export-format registry: a ZIP of steps restores, suffixes in any case."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from engine import Recipe
from engine.events import Cancelled, Started, Step
from engine.export.plan import ExportPlan, export_run
from engine.trajectory import Trajectory
from gui.recipe_drop import dropped_path, install_recipe_drop, recipe_from_file


def cancelled_run() -> Trajectory:
    rng = np.random.default_rng(5)
    recipe = Recipe(model="tiny-diffusion", sampler="euler", steps=3, seed=77, batch=2, label="4", guidance=3.0)
    recorded = Trajectory()
    recorded.record(Started(recipe, 3, (8, 8, 1), "cpu", "float32", "tiny-diffusion"))
    for index in range(2):
        frames = [rng.integers(0, 256, (2, 8, 8, 1), dtype=np.uint8) for _ in range(3)]
        recorded.record(Step(index, 3, 900.0 - index, 1.0, *frames, elapsed_s=0.0))
    recorded.record(Cancelled(recipe, 2))
    return recorded


@pytest.fixture
def zip_of_steps(tmp_path):
    run = cancelled_run()
    (written,) = export_run(run, tmp_path, ExportPlan(formats=("zip",)))
    return run, written.path


def _mime(path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def test_a_zip_of_steps_restores_its_recipe(zip_of_steps):
    run, path = zip_of_steps
    result = recipe_from_file(path, Recipe(model="tiny-diffusion", batch=9), known_models=["tiny-diffusion"])
    assert result.ok and result.recipe == run.recipe and not result.is_trajectory
    assert result.message.startswith("Restored ") and path.name in result.message


def test_every_registered_suffix_is_accepted_in_any_case(zip_of_steps, tmp_path):
    _, path = zip_of_steps
    shouted = shutil.copy(path, tmp_path / "RUN.ZIP")
    assert dropped_path(_mime(shouted)) == shouted
    assert dropped_path(_mime(tmp_path / "RUN.TRAJECTORY.SAFETENSORS")) is not None
    assert dropped_path(_mime(tmp_path / "notes.txt")) is None
    assert recipe_from_file(tmp_path / "RUN.TRAJECTORY.SAFETENSORS").is_trajectory


@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")
def test_dropping_a_zip_on_the_window(qtbot, zip_of_steps):
    run, path = zip_of_steps
    window = QWidget()
    qtbot.addWidget(window)
    results = []
    install_recipe_drop(window, results.append, known_models=lambda: ["tiny-diffusion"])
    mime = _mime(path)
    enter = QDragEnterEvent(window.rect().center(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)  # Qt delivers a drop only after its drag entered
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(window.rect().center()), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    (result,) = results
    assert result.ok and result.recipe.seed == 77 and result.recipe.label == "4"
