"""The gallery over the history, and restoring recipes from dropped files."""

import json

import numpy as np
import pytest
from PIL import Image, PngImagePlugin
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from engine import Recipe
from engine.events import Finished, Started, Step
from engine.export.png import save_png
from engine.export.trajectory_file import save_trajectory
from engine.history import History
from engine.trajectory import Trajectory
from gui.disk_worker import DiskWorker
from gui.gallery_model import RUN_ID_ROLE, GalleryModel
from gui.gallery_panel import GalleryPanel, load_run
from gui.recipe_drop import install_recipe_drop, recipe_from_file
from gui.tasks import TaskKeeper


def synthetic(model="digits", sampler="ddim", family="diffusion", seed=0) -> Trajectory:
    rng = np.random.default_rng(seed)
    recipe = Recipe(model=model, family=family, sampler=sampler, steps=2, batch=2, seed=seed)
    recorded = Trajectory()
    recorded.record(Started(recipe, 2, (8, 8, 1), "cpu", "float32", model))
    for index in range(2):
        frames = [rng.integers(0, 256, (2, 8, 8, 1), dtype=np.uint8) for _ in range(3)]
        recorded.record(Step(index, 2, 500.0, 1.0, *frames, elapsed_s=0.0))
    recorded.record(Finished(recipe, rng.integers(0, 256, (2, 8, 8, 1), dtype=np.uint8), 1.0))
    return recorded


@pytest.fixture
def history(tmp_path):
    with History(tmp_path / "history.sqlite3") as opened:
        opened.add_run(synthetic("digits", "ddim", seed=1), created_at=1.0)
        opened.add_run(synthetic("digits", "euler", seed=2), created_at=2.0)
        opened.add_run(synthetic("faces", "ddim", seed=3), created_at=3.0)
        yield opened


@pytest.fixture
def calls():
    return {"open": [], "rerun": [], "copy": []}


@pytest.fixture
def disk(history):
    worker = DiskWorker("test-disk")
    yield worker
    worker.close()  # before the history closes


@pytest.fixture
def tasks(event_loop_qt):
    errors: list[BaseException] = []
    keeper = TaskKeeper(errors.append)
    keeper.errors = errors
    yield keeper
    keeper.cancel_all()
    assert not errors


@pytest.fixture
def panel(qtbot, history, calls, disk, tasks):
    widget = GalleryPanel(history, disk, tasks, on_open_run=calls["open"].append, on_rerun=calls["rerun"].append,
                          on_copy_recipe=calls["copy"].append)
    qtbot.addWidget(widget)
    widget.show()
    settled(qtbot, widget.model, 3)
    return widget


def settled(qtbot, model, rows: int | None = None) -> None:
    """Wait until the rows read on the disk thread have arrived (and, given, that many)."""
    qtbot.waitUntil(lambda: not model.loading and (rows is None or model.rowCount() == rows), timeout=5_000)


def models_shown(panel) -> list[str]:
    return [panel.model.run_at(row).model for row in range(panel.model.rowCount())]


def test_model_rows_newest_first_with_thumbnails(qtbot, history, disk, tasks):
    model = GalleryModel(history, disk, tasks)
    assert model.rowCount() == 0  # nothing read on the GUI thread
    model.refresh()
    settled(qtbot, model, 3)
    first = model.index(0)
    assert model.data(first, RUN_ID_ROLE) == 3
    assert model.data(first).startswith("faces\nDDIM · 2 steps\nseed 3")
    icon = model.data(first, Qt.ItemDataRole.DecorationRole)
    assert not icon.isNull() and icon.availableSizes()[0].width() >= 64
    assert "faces (diffusion)" in model.data(first, Qt.ItemDataRole.ToolTipRole)


def test_filters(qtbot, panel):
    assert models_shown(panel) == ["faces", "digits", "digits"]
    panel.model_filter.setCurrentText("digits")
    settled(qtbot, panel.model, 2)
    assert models_shown(panel) == ["digits", "digits"]
    panel.sampler_filter.setCurrentText("euler")
    settled(qtbot, panel.model, 1)
    assert [panel.model.run_at(0).sampler] == ["euler"]
    panel.model_filter.setCurrentIndex(0)
    panel.sampler_filter.setCurrentIndex(0)
    panel.family_filter.setCurrentText("diffusion")
    settled(qtbot, panel.model, 3)
    panel.starred_only.setChecked(True)
    settled(qtbot, panel.model, 0)


def test_star_open_rerun_copy(qtbot, panel, history, calls):
    assert not panel.star_button.isEnabled()
    panel.select_run(2)
    assert panel.selected_run().id == 2 and panel.star_button.isEnabled()
    with qtbot.waitSignal(panel.changed, timeout=5_000):
        qtbot.mouseClick(panel.star_button, Qt.MouseButton.LeftButton)
    settled(qtbot, panel.model)
    assert history.get_run(2).starred and panel.selected_run().id == 2 and panel.star_button.text() == "Unstar"
    assert panel.model.data(panel.model.index(panel.model.row_of(2))).startswith("★ digits")
    panel.starred_only.setChecked(True)
    settled(qtbot, panel.model, 1)
    assert [panel.model.run_at(0).id] == [2]
    panel.starred_only.setChecked(False)
    settled(qtbot, panel.model, 3)
    panel.select_run(2)
    qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.rerun_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert calls["open"] == [2]
    assert calls["rerun"] == [history.get_run(2).recipe()] and calls["rerun"][0].sampler == "euler"
    assert json.loads(calls["copy"][0])["seed"] == 2


def test_delete_asks_then_forgets_only_the_row(qtbot, panel, history, tmp_path):
    kept = tmp_path / "export.png"
    kept.write_bytes(b"png")
    history.record_export(1, kept, "png")
    panel.select_run(1)
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert panel.confirm is not None and panel.confirm.isVisible() and panel.confirm.isModal()
    assert history.get_run(1) is not None  # nothing happens before the answer
    with qtbot.waitSignal(panel.changed, timeout=5_000):
        panel.confirm.button(QMessageBox.StandardButton.Yes).click()
    settled(qtbot, panel.model, 2)
    assert history.get_run(1) is None
    assert [panel.model.run_at(r).id for r in range(panel.model.rowCount())] == [3, 2]
    assert kept.exists()


def test_refresh_picks_up_new_runs_and_models(qtbot, panel, history):
    history.add_run(synthetic("letters", "heun", seed=9), created_at=10.0)
    panel.refresh()
    settled(qtbot, panel.model, 4)
    assert models_shown(panel)[0] == "letters"
    assert panel.model_filter.findText("letters") > 0


def test_rows_are_read_a_page_at_a_time_and_more_on_scroll(qtbot, history, disk, tasks, calls):
    for seed in range(20):
        history.add_run(synthetic("many", "ddim", seed=10 + seed), created_at=100.0 + seed)
    widget = GalleryPanel(history, disk, tasks, page_size=8)
    qtbot.addWidget(widget)
    widget.resize(330, 300)
    widget.show()
    settled(qtbot, widget.model, 8)  # one page, not all 23 rows with their thumbnails
    assert widget.model.canFetchMore()
    widget.view.scrollToBottom()  # the view asks for more near the end
    settled(qtbot, widget.model, 16)
    widget.model.fetchMore()
    settled(qtbot, widget.model, 23)
    assert not widget.model.canFetchMore()
    assert [run.created_at for run in map(widget.model.run_at, range(23))] == sorted(
        (run.created_at for run in history.list_runs()), reverse=True)
    history.add_run(synthetic("late", "ddim", seed=99), created_at=500.0)
    widget.refresh()  # reads as many rows as were shown, so the list keeps its place
    qtbot.waitUntil(lambda: not widget.model.loading and widget.model.run_at(0).model == "late", timeout=5_000)
    assert widget.model.rowCount() >= 23


def test_star_delete_and_reads_happen_off_the_gui_thread(qtbot, panel, history, monkeypatch):
    import threading

    threads = {}
    for name in ("star", "delete", "list_runs", "distinct"):
        original = getattr(history, name)
        monkeypatch.setattr(history, name, lambda *a, _n=name, _o=original, **k: (
            threads.setdefault(_n, threading.current_thread()), _o(*a, **k))[1])
    panel.select_run(2)
    with qtbot.waitSignal(panel.changed, timeout=5_000):
        panel.toggle_star()
    panel.select_run(3)
    panel.delete_selected()
    with qtbot.waitSignal(panel.changed, timeout=5_000):
        panel.confirm.button(QMessageBox.StandardButton.Yes).click()
    settled(qtbot, panel.model, 2)
    assert set(threads) == {"star", "delete", "list_runs", "distinct"}
    assert all(thread is not threading.main_thread() for thread in threads.values())


def test_load_run_reopens_a_kept_trajectory(history, tmp_path):
    run = synthetic(seed=5)
    path = save_trajectory(run, tmp_path / "kept.trajectory.safetensors")
    run_id = history.add_run(run, trajectory_path=path)
    record, trajectory = load_run(history, run_id)
    assert record.id == run_id and np.array_equal(trajectory.final, run.final)
    path.unlink()
    assert load_run(history, run_id)[1] is None  # moved away: the record, no trajectory
    assert load_run(history, 999) == (None, None)


# -- dropping files ---------------------------------------------------------------------

def _a1111_png(path):
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 3, "
                                "Model: sd15, Clip skip: 2")
    Image.new("RGB", (4, 4)).save(path, pnginfo=info)
    return path


def test_recipe_from_our_png_and_an_a1111_png(tmp_path):
    ours = Recipe(model="tiny-diffusion", sampler="heun", steps=7, seed=12, label="4")
    path = save_png(np.zeros((8, 8, 1), np.uint8), tmp_path / "ours.png", ours)
    result = recipe_from_file(path, known_models=["tiny-diffusion"])
    assert result.ok and result.recipe == ours and "Not restored" not in result.message

    base = Recipe(model="tiny-diffusion", batch=4)
    result = recipe_from_file(_a1111_png(tmp_path / "cat.png"), base, known_models=["tiny-diffusion"])
    assert result.ok and result.recipe.steps == 20 and result.recipe.sampler == "euler"
    assert result.recipe.guidance == 7.0 and result.recipe.seed == 3
    assert result.recipe.model == "tiny-diffusion" and result.recipe.batch == 4
    assert "Not restored: Clip skip." in result.message  # the prompt lines restore (issue 9)
    assert "model 'sd15' is not installed" in result.message

    (tmp_path / "plain.png").write_bytes((tmp_path / "ours.png").read_bytes()[:20])
    broken = recipe_from_file(tmp_path / "plain.png")
    assert not broken.ok and broken.message.startswith("plain.png: ")


def _drop(widget, path, kind):
    """A drag event and its mime data (which the test must keep alive: the event only points to it)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    actions = Qt.DropAction.CopyAction
    if kind == "enter":
        event = QDragEnterEvent(widget.rect().center(), actions, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
    else:
        event = QDropEvent(QPointF(widget.rect().center()), actions, mime, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
    return event, mime


@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")
def test_drop_on_a_widget_restores(qtbot, tmp_path):
    window = QWidget()
    qtbot.addWidget(window)
    results = []
    install_recipe_drop(window, results.append, base=lambda: Recipe(model="tiny-diffusion"),
                        known_models=lambda: ["tiny-diffusion"])
    assert window.acceptDrops()
    enter, enter_mime = _drop(window, _a1111_png(tmp_path / "cat.png"), "enter")
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    refused, refused_mime = _drop(window, tmp_path / "notes.txt", "enter")
    refused.ignore()
    QApplication.sendEvent(window, refused)
    assert not refused.isAccepted()
    drop, drop_mime = _drop(window, tmp_path / "cat.png", "drop")
    QApplication.sendEvent(window, drop)
    (result,) = results
    assert result.ok and result.recipe.steps == 20 and "Clip skip" in result.message
