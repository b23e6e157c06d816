"""History, gallery, export and dropped files, wired into the real window with a real engine thread."""

from __future__ import annotations

import errno
import threading

import numpy as np
import pytest
from PIL import Image, PngImagePlugin
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from gui.run_state import RunState
from tests.gui.helpers import generate, run_finished

pytestmark = pytest.mark.filterwarnings("ignore:Function.*Q(DragEnter|Drop)Event:DeprecationWarning")


def gallery_of(qtbot, studio):
    qtbot.waitUntil(lambda: studio.history.gallery is not None, timeout=10_000)
    return studio.history.gallery


def runs_shown(gallery) -> list:
    return [gallery.model.run_at(row) for row in range(gallery.model.rowCount())]


def generate_recorded(qtbot, studio, **fields):
    """Generate, and wait until the run is in the history (and the gallery)."""
    gallery = gallery_of(qtbot, studio)
    before = gallery.model.rowCount()
    with qtbot.waitSignal(studio.history.recorded, timeout=15_000) as recorded:
        trajectory = generate(qtbot, studio, **fields)
    assert gallery.model.rowCount() == before + 1
    return trajectory, recorded.args[0]


def open_export_dialog(qtbot, studio, folder):
    exports = studio.exports
    assert exports.action in studio.window.export_menu.actions() and exports.action.isEnabled()
    exports.action.trigger()
    dialog = exports.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=2_000)  # open(): the event loop goes on
    dialog.folder.setText(str(folder))
    return dialog


def drop_file(window, path):
    """Drag a file onto the window and drop it (Qt routes a drop to the widget that took the enter)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(window.rect().center(), *args)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(QPointF(window.rect().center()), *args))
    return mime


def test_history_opens_in_the_data_dir_and_the_gallery_is_a_dock(qtbot, studio, tmp_path):
    gallery_of(qtbot, studio)
    assert studio.history.history.path == tmp_path / "data" / "history.sqlite3"
    assert studio.history.dock.widget().isAncestorOf(studio.history.gallery)
    assert studio.history.dock.toggleViewAction() in studio.window.view_menu.actions()


def test_finished_run_appears_in_the_gallery(qtbot, studio):
    trajectory, run_id = generate_recorded(qtbot, studio, model="tiny-diffusion", steps=3, batch=2, sampler="ddim")
    (run,) = runs_shown(studio.history.gallery)
    assert run.id == run_id and run.outcome == "finished" and run.model == "tiny-diffusion"
    assert run.recipe() == trajectory.recipe and run.model_hash and len(run.model_hash) == 10
    icon = studio.history.gallery.model.data(studio.history.gallery.model.index(0), Qt.ItemDataRole.DecorationRole)
    assert not icon.isNull()


def test_history_writes_happen_off_the_gui_thread(qtbot, studio, monkeypatch):
    threads = []
    history = gallery_of(qtbot, studio).history
    original = history.add_run
    monkeypatch.setattr(history, "add_run", lambda *a, **k: threads.append(threading.current_thread()) or original(*a, **k))
    generate_recorded(qtbot, studio, model="tiny-vae")
    assert threads and threads[0] is not threading.main_thread()


def test_cancelled_run_is_recorded_as_cancelled(qtbot, studio):
    vm, gallery = studio.view_model, gallery_of(qtbot, studio)
    for name, value in (("model", "tiny-diffusion"), ("sampler", "ddpm"), ("steps", 1000)):
        vm.form.set_field(name, value)
    with qtbot.waitSignal(studio.history.recorded, timeout=15_000):
        studio.window.controls.generate.click()
        qtbot.waitUntil(lambda: len(vm.view) >= 2, timeout=15_000)
        assert vm.status.state == RunState.RUNNING
        studio.window.controls.cancel.click()
        assert vm.status.state in (RunState.CANCELLING, RunState.IDLE)
    (run,) = runs_shown(gallery)
    assert run.outcome == "cancelled" and vm.view.trajectory.outcome == "cancelled"


def test_export_writes_pngs_with_the_recipe_and_records_them(qtbot, studio, tmp_path):
    from engine import Recipe
    from engine.export.png import RECIPE_KEY

    trajectory, run_id = generate_recorded(qtbot, studio, model="tiny-diffusion", steps=3, batch=2, sampler="ddim")
    dialog = open_export_dialog(qtbot, studio, tmp_path / "out")
    assert studio.window.isEnabled() and studio.view_model.status.state == RunState.IDLE
    with qtbot.waitSignal(studio.exports.exported, timeout=10_000) as done:
        dialog.export_button.click()
    written = done.args[0]
    pngs = [f.path for f in written if f.kind == "png"]
    assert len(pngs) == 2 and all(p.parent == tmp_path / "out" and p.is_file() for p in pngs)
    with Image.open(pngs[0]) as picture:
        assert Recipe.from_json(picture.text[RECIPE_KEY]) == trajectory.recipe
    exports = studio.history.history.get_run(run_id).exports
    assert sorted(kind for kind, _ in exports) == sorted(f.kind for f in written)
    assert "Exported" in studio.window.statusBar().currentMessage()
    assert studio.view_model.status.error is None


def test_rerun_from_the_gallery_sets_the_recipe_and_generates(qtbot, studio):
    vm = studio.view_model
    first, run_id = generate_recorded(qtbot, studio, model="tiny-diffusion", steps=4, batch=1, sampler="euler",
                                      seed=1234, seed_locked=True)
    vm.form.restore_fields({"model": "tiny-gan", "seed": 5, "seed_locked": False, "batch": 3})
    gallery = studio.history.gallery
    gallery.select_run(run_id)
    with qtbot.waitSignal(studio.history.recorded, timeout=15_000):
        gallery.rerun_button.click()
        assert vm.form.fields.model == "tiny-diffusion" and vm.form.fields.seed == 1234 and vm.form.fields.seed_locked
        qtbot.waitUntil(lambda: run_finished(vm) and vm.view.trajectory is not first, timeout=15_000)
    assert vm.view.trajectory.recipe == first.recipe and vm.view.trajectory.outcome == "finished"
    assert gallery.model.rowCount() == 2


def test_open_a_run_with_a_kept_trajectory_shows_its_steps(qtbot, studio, tmp_path):
    from engine.export.plan import ExportPlan

    vm, timeline = studio.view_model, studio.window.timeline
    first, run_id = generate_recorded(qtbot, studio, model="tiny-diffusion", steps=5, batch=2, sampler="ddim")
    with qtbot.waitSignal(studio.exports.exported, timeout=10_000):
        studio.exports.export(first, ExportPlan(samples=False, trajectory=True), tmp_path / "kept")
    generate_recorded(qtbot, studio, model="tiny-vae", batch=1)
    gallery = studio.history.gallery
    assert gallery.model.run_at(gallery.model.row_of(run_id)).trajectory_path
    gallery.select_run(run_id)
    gallery.open_button.click()
    qtbot.waitUntil(lambda: vm.view.trajectory is not None and vm.view.trajectory.recipe == first.recipe, timeout=10_000)
    assert len(vm.view) == 5 and vm.playhead.step == 4 and timeline.slider.maximum() == 4
    assert vm.form.fields.model == "tiny-diffusion" and vm.form.fields.steps == 5
    timeline.slider.setValue(1)
    assert vm.playhead.step == 1 and np.array_equal(vm.view.frame("x0"), first.steps[1].x0)
    assert timeline.info.text().startswith("Step 2 / 5")
    assert studio.window.progress.status.text() == "Done: 5 steps"
    assert f"Run {run_id}: 5 steps" in studio.window.statusBar().currentMessage()


def test_every_run_reopens_for_scrubbing_without_an_export(qtbot, studio):
    vm = studio.view_model
    first, run_id = generate_recorded(qtbot, studio, model="tiny-diffusion", steps=4, batch=2, sampler="euler")
    generate_recorded(qtbot, studio, model="tiny-vae", batch=1)
    gallery = studio.history.gallery
    gallery.select_run(run_id)
    gallery.open_button.click()
    qtbot.waitUntil(lambda: vm.view.trajectory is not None and vm.view.trajectory.recipe == first.recipe, timeout=10_000)
    assert len(vm.view) == 4
    studio.window.timeline.slider.setValue(2)
    assert np.array_equal(vm.view.frame("noise"), first.steps[2].noise)


def test_dropping_our_png_restores_its_recipe(qtbot, studio, tmp_path):
    from engine import Recipe
    from engine.export.png import save_png

    vm = studio.view_model
    gallery_of(qtbot, studio)
    recipe = Recipe(model="tiny-uncond", sampler="euler", steps=7, seed=77, batch=2)
    path = save_png(np.zeros((8, 8, 1), np.uint8), tmp_path / "ours.png", recipe)
    drop_file(studio.window, path)
    # issue 12: the file is read on the disk thread; its result arrives a moment later
    qtbot.waitUntil(lambda: "ours.png" in studio.window.statusBar().currentMessage(), timeout=10_000)
    assert (vm.form.fields.model, vm.form.fields.sampler, vm.form.fields.steps, vm.form.fields.seed) == ("tiny-uncond", "euler", 7, 77)
    assert vm.form.fields.seed_locked and vm.form.fields.batch == 2
    assert "ours.png" in studio.window.statusBar().currentMessage() and vm.status.error is None


def test_dropping_an_a1111_png_lists_what_was_not_restored(qtbot, studio, tmp_path):
    vm = studio.view_model
    gallery_of(qtbot, studio)
    vm.form.set_field("model", "tiny-diffusion")
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nNegative prompt: dog\nSteps: 12, Sampler: Euler, CFG scale: 5, Seed: 99, "
                                "Model: sd15, Clip skip: 2")
    Image.new("RGB", (4, 4)).save(tmp_path / "a1111.png", pnginfo=info)
    drop_file(studio.window, tmp_path / "a1111.png")
    qtbot.waitUntil(lambda: "a1111.png" in studio.window.statusBar().currentMessage(), timeout=10_000)
    assert (vm.form.fields.steps, vm.form.fields.seed, vm.form.fields.sampler) == (12, 99, "euler")
    assert vm.form.fields.model == "tiny-diffusion"  # sd15 is not installed: kept
    message = studio.window.statusBar().currentMessage()
    assert "Not restored" in message and "Clip skip" in message and "sd15" in message


def test_dropping_a_trajectory_file_shows_it_for_scrubbing(qtbot, studio, tmp_path):
    from engine.export.trajectory_file import save_trajectory

    vm = studio.view_model
    gallery_of(qtbot, studio)
    first = generate(qtbot, studio, model="tiny-diffusion", steps=4, batch=1, sampler="ddim")
    path = save_trajectory(first, tmp_path / "run.trajectory.safetensors")
    generate(qtbot, studio, model="tiny-gan")
    drop_file(studio.window, path)
    qtbot.waitUntil(lambda: len(vm.view) == 4 and vm.view.trajectory.recipe == first.recipe, timeout=10_000)
    assert studio.window.timeline.slider.maximum() == 3 and vm.form.fields.model == "tiny-diffusion"


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_export_onto_a_full_or_read_only_disk_shows_in_the_banner(qtbot, studio, tmp_path, monkeypatch, code):
    def fail(*args, **kwargs):
        raise OSError(code, "no")

    generate_recorded(qtbot, studio, model="tiny-vae", batch=2)
    with monkeypatch.context() as patch:
        patch.setattr(Image.Image, "save", fail)  # PIL writing inside the atomic write
        dialog = open_export_dialog(qtbot, studio, tmp_path / "out")
        dialog.export_button.click()
        qtbot.waitUntil(lambda: studio.view_model.status.error is not None, timeout=10_000)
    kind, message = studio.view_model.status.error
    assert kind == "export" and ("full" if code == errno.ENOSPC else "read-only") in message
    banner = studio.window.banner
    assert banner.isVisible() and "export failed" in banner.title.text().lower()
    assert not any((tmp_path / "out").iterdir())  # no partial file left behind
    generate_recorded(qtbot, studio)  # the window goes on: the next run works and is recorded
    assert studio.view_model.status.error is None and studio.exports.action.isEnabled()


def test_closing_mid_run_keeps_the_run_as_cancelled(qtbot, make_studio, tmp_path):
    from engine.history import History

    studio = make_studio()
    vm = studio.view_model
    gallery_of(qtbot, studio)
    for name, value in (("model", "tiny-diffusion"), ("sampler", "ddpm"), ("steps", 1000)):
        vm.form.set_field(name, value)
    studio.window.controls.generate.click()
    qtbot.waitUntil(lambda: len(vm.view) >= 2, timeout=15_000)
    studio.window.close()  # the history is written before the window is gone
    with History(tmp_path / "data" / "history.sqlite3") as history:
        (run,) = history.list_runs()
    assert run.outcome == "cancelled" and run.model == "tiny-diffusion" and run.thumbnail


def test_a_hidden_gallery_stays_hidden_at_the_next_start(qtbot, make_studio, settings):
    first = make_studio(settings)
    first.history.dock.hide()
    first.window.close()
    second = make_studio(settings)
    assert second.history.dock.isHidden() and not second.window.controls_dock.isHidden()
    second.history.dock.toggleViewAction().trigger()
    assert second.history.dock.isVisible()
