"""The export dialog builds the plan the person chose; the engine writes it."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine import Recipe
from engine.events import Cancelled, Finished, Started, Step
from engine.export.animation import AnimationOptions
from engine.export.formats import registry
from engine.export.plan import ExportPlan, export_run
from engine.trajectory import Trajectory
from gui.export_dialog import ExportDialog


def synthetic(finished=True, batch=3) -> Trajectory:
    rng = np.random.default_rng(0)
    recipe = Recipe(model="digits", family="diffusion", sampler="ddim", steps=4, batch=batch, seed=20)
    recorded = Trajectory()
    recorded.record(Started(recipe, 4, (8, 8, 1), "cpu", "float32", "digits"))
    for index in range(4 if finished else 2):
        frames = [rng.integers(0, 256, (batch, 8, 8, 1), dtype=np.uint8) for _ in range(3)]
        recorded.record(Step(index, 4, 900.0 - index, 1.0 / (index + 1), *frames, elapsed_s=0.0))
    if finished:
        recorded.record(Finished(recipe, rng.integers(0, 256, (batch, 8, 8, 1), dtype=np.uint8), 1.0))
    else:
        recorded.record(Cancelled(recipe, 2))
    return recorded


@pytest.fixture
def exported():
    return []


def make(qtbot, exported, trajectory=None, **kwargs) -> ExportDialog:
    dialog = ExportDialog(trajectory or synthetic(), lambda plan, folder: exported.append((plan, folder)), **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def test_defaults_for_a_finished_batch(qtbot, exported, tmp_path):
    dialog = make(qtbot, exported, folder=tmp_path)
    assert dialog.plan() == ExportPlan(formats=("png", "grid"))
    assert dialog.export_button.isEnabled() and dialog.folder.text() == str(tmp_path)


def test_every_choice_reaches_the_plan(qtbot, exported, tmp_path):
    dialog = make(qtbot, exported, folder=tmp_path)
    dialog.sample_choice.setCurrentIndex(2)  # sample 2
    dialog.formats["grid"].setChecked(False)
    dialog.formats["gif"].setChecked(True)
    dialog.formats["mp4"].setChecked(True)
    dialog.view.setCurrentIndex(dialog.view.findData("both"))
    dialog.subject.setCurrentIndex(3)  # sample 3
    dialog.frame_ms.setValue(80)
    dialog.hold_ms.setValue(0)
    dialog.scale.setValue(4)
    dialog.formats["sheet"].setChecked(True)
    dialog.sheet_every.setValue(2)
    dialog.formats["trajectory"].setChecked(True)
    dialog.formats["zip"].setChecked(True)
    assert dialog.plan() == ExportPlan(
        formats=("png", "gif", "mp4", "sheet", "zip", "trajectory"), sample=1,
        animation=AnimationOptions(view="both", frame_ms=80, hold_ms=0, scale=4, sample=2),
        sheet_every=2, sheet_sample=2)


def test_opened_not_exec_then_export_hands_back_the_plan(qtbot, exported, tmp_path):
    trajectory = synthetic()
    dialog = make(qtbot, exported, trajectory, folder=tmp_path, sample=0)
    dialog.open()
    assert dialog.isVisible() and dialog.isModal()
    dialog.formats["webp"].setChecked(True)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    ((plan, folder),) = exported
    assert folder == tmp_path and plan.sample == 0 and plan.formats == ("png", "grid", "webp")
    written = export_run(trajectory, folder, plan)
    assert sorted(f.kind for f in written) == ["grid", "png", "webp"]
    assert all(f.path.is_file() for f in written)


def test_a_cancelled_run_offers_no_final_images(qtbot, exported, tmp_path):
    dialog = make(qtbot, exported, synthetic(finished=False), folder=tmp_path)
    for final_only in ("png", "grid"):
        assert not dialog.formats[final_only].isEnabled() and not dialog.formats[final_only].isChecked()
    assert not dialog.export_button.isEnabled()  # nothing chosen yet
    dialog.formats["gif"].setChecked(True)
    assert dialog.export_button.isEnabled()


def test_empty_folder_is_refused_with_a_message(qtbot, exported):
    dialog = make(qtbot, exported)
    dialog.open()
    dialog.folder.setText("  ")
    dialog.accept()
    assert exported == [] and dialog.isVisible() and "choose a folder" in dialog.error.text()
    dialog.reject()


def test_choose_folder_uses_a_non_blocking_dialog(qtbot, exported, tmp_path):
    dialog = make(qtbot, exported, folder=tmp_path)
    dialog.open()
    dialog.choose_folder()
    assert dialog.folder_dialog.isVisible()
    dialog.folder_dialog.fileSelected.emit(str(tmp_path / "elsewhere"))
    dialog.folder_dialog.reject()
    assert dialog.folder.text() == str(tmp_path / "elsewhere")


def test_the_dialog_offers_every_registered_format(qtbot, exported):
    dialog = make(qtbot, exported)
    assert list(dialog.formats) == [f.id for f in registry.formats()]
    assert [box.text() for box in dialog.formats.values()] == [f.label for f in registry.formats()]
    assert all(box.window() is dialog for box in dialog.formats.values())  # laid out in the dialog
    assert "zip" in dialog.formats  # the format added as one module


def test_the_zip_of_steps_from_the_dialog(qtbot, exported, tmp_path):
    trajectory = synthetic(finished=False)  # a cancelled run still has its steps
    dialog = make(qtbot, exported, trajectory, folder=tmp_path)
    dialog.open()
    dialog.formats["zip"].setChecked(True)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    ((plan, folder),) = exported
    assert plan.formats == ("zip",)
    (written,) = export_run(trajectory, folder, plan)
    assert written.kind == "zip" and written.path.name.endswith("-steps-grid.zip")
