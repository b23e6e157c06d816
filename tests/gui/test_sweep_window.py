"""Run > Sweep… in the real window with a real engine thread: axes picked and run, the labelled grid
filled cell by cell, the cells one group in the history (the gallery's sweep filter, a cell opened);
cancel; bad values said inline; a large sweep asked about first; the cluster setting without Ray."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from engine.events import Step
from engine.sweep.grid_image import SWEEP_KEY
from gui.sweep_job import EVENT
from tests.gui.test_history_wiring import gallery_of, runs_shown

BASE = {"model": "tiny-diffusion", "label": "3", "steps": 2, "batch": 1, "sampler": "ddim", "seed_locked": True}


def sweep_dialog(qtbot, studio, axes: dict[str, tuple[str, str]], **form):
    gallery_of(qtbot, studio)  # the history is open: cells are recorded
    for name, value in {**BASE, **form}.items():
        studio.view_model.form.set_field(name, value)
    studio.sweep.action.trigger()
    dialog = studio.sweep.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2_000)
    for name, (field, values) in axes.items():
        dialog.axes.set_axis(name, field, values)
    return dialog


def run_to_end(qtbot, studio, timeout=30_000):
    dialog = studio.sweep.dialog
    assert dialog.run_button.isEnabled(), dialog.summary.text()
    dialog.run_button.click()
    assert studio.sweep.running
    qtbot.waitUntil(lambda: not studio.sweep.running and not studio.sweep._drawing, timeout=timeout)


def grid_pixels(dialog) -> np.ndarray:
    image = dialog.grid.image
    return np.asarray(image.constBits()).reshape(image.height(), image.bytesPerLine())


def test_a_sweep_fills_its_grid_and_is_one_group_in_the_history(qtbot, studio, tmp_path):
    dialog = sweep_dialog(qtbot, studio, {"x": ("steps", "2, 3"), "y": ("seed", "5-6")})
    assert "4 cells (2 × 2)" in dialog.summary.text() and dialog.summary.property("problem") is False
    assert "tiny-diffusion" in dialog.base.text() and "DDIM" in dialog.base.text()
    assert "seed" not in dialog.base.text() and "steps" not in dialog.base.text()  # the axes change those
    shown = []
    dialog.grid.set_grid = lambda image, *rest, original=dialog.grid.set_grid: (shown.append(len(rest[0])),
                                                                                original(image, *rest))
    run_to_end(qtbot, studio)
    sweep = studio.sweep
    assert sorted(sweep.images) == [0, 1, 2, 3] and "Done: 4 of 4 cells" in dialog.note.text()
    assert dialog.counts.text().startswith("4 of 4 cells done · 0 running · 0 waiting")
    assert len(shown) >= 2  # drawn empty (the axes at once), then again as cells came in
    from engine.sweep.grid_image import sweep_grid

    picture, layout = sweep_grid(sweep.plan, sweep.images, sweep.recipes)  # what the export writes
    assert (dialog.grid.image.width(), dialog.grid.image.height()) == picture.shape[1::-1]
    assert sorted(layout.cells) == sorted(dialog.grid.cells)
    qtbot.waitUntil(lambda: len(sweep.run_ids) == 4, timeout=10_000)
    history = studio.history.history
    (group,) = history.list_sweeps()
    qtbot.waitUntil(lambda: f"In the Gallery as sweep #{group.id}" in dialog.note.text(), timeout=10_000)
    cells = history.list_runs(sweep=group.id)
    assert [run.id for run in cells] == [sweep.run_ids[i] for i in range(4)]
    assert [group.cell_label(run.sweep_cell) for run in cells] == [sweep.plan.cell_label(c) for c in sweep.plan.cells]
    assert [run.recipe() for run in cells] == [sweep.recipes[i] for i in range(4)]
    assert [(r.recipe().steps, r.recipe().seed) for r in cells] == [(2, 5), (3, 5), (2, 6), (3, 6)]

    gallery = gallery_of(qtbot, studio)
    assert dialog.gallery_button.isEnabled()
    dialog.gallery_button.click()  # the gallery's sweep filter on this sweep: its cells in grid order
    qtbot.waitUntil(lambda: gallery.sweep_filter.currentData() == group.id, timeout=10_000)
    qtbot.waitUntil(lambda: [run.id for run in runs_shown(gallery)] == [run.id for run in cells], timeout=10_000)
    caption = gallery.model.data(gallery.model.index(1))
    assert f"▦ sweep #{group.id}: steps=3, seed=5" in caption

    dialog.grid.cellActivated.emit(3)  # a double click on the last cell opens its run for scrubbing
    qtbot.waitUntil(lambda: studio.view_model.view.trajectory is not None
                    and studio.view_model.view.trajectory.recipe == sweep.recipes[3], timeout=10_000)

    task = sweep.export(tmp_path / "grid.png")
    qtbot.waitUntil(task.done, timeout=10_000)
    saved = Image.open(tmp_path / "grid.png")
    assert np.array_equal(np.asarray(saved.convert("RGB")), picture)
    assert len(json.loads(saved.text[SWEEP_KEY])["cells"]) == 4
    assert history.get_sweep(group.id).grid_path == str(tmp_path / "grid.png")


def test_cancel_stops_the_outstanding_cells_and_keeps_those_done(qtbot, studio, monkeypatch):
    dialog = sweep_dialog(qtbot, studio, {"x": ("sampler", "DDIM, Euler, Heun"), "y": ("guidance", "1, 2")},
                          steps=40)
    first_step = []
    original = studio.sweep._arrived

    def watch(items, progress):
        original(items, progress)
        if not first_step and sorted(studio.sweep.images) == [0] and any(  # a step of the second cell's run
                kind == EVENT and isinstance(item.event, Step) and item.group.cells[0].index == 1 for kind, item in items):
            first_step.append(dialog.grid.running == {1})  # the cell being made is outlined in the grid
            dialog.cancel_button.click()  # the second cell is running: it and the four after never finish

    monkeypatch.setattr(studio.sweep, "_arrived", watch)
    run_to_end(qtbot, studio)
    assert first_step == [True] and sorted(studio.sweep.images) == [0] and not dialog.grid.running
    assert "Stopped: 1 of 6 cells" in dialog.note.text()
    assert dialog.run_button.isEnabled() and not dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: len(studio.sweep.run_ids) == 1, timeout=10_000)
    (group,) = studio.history.history.list_sweeps()
    assert (group.runs, group.cells) == (1, 6)
    assert not studio.view_model.status.busy  # the window's own run state was never touched


def test_bad_values_are_said_inline_and_nothing_runs(qtbot, studio):
    dialog = sweep_dialog(qtbot, studio, {"x": ("steps", "")})
    assert "type the steps values, for example" in dialog.summary.text()  # a prompt, not an error
    assert dialog.summary.property("problem") is False and not dialog.run_button.isEnabled()
    dialog.axes.set_axis("x", "steps", "2, ten")
    assert dialog.summary.property("problem") is True and not dialog.run_button.isEnabled()
    assert dialog.summary.text().startswith("X: ") and "ten" in dialog.summary.text()
    assert "--x" not in dialog.summary.text() and "Traceback" not in dialog.summary.text()
    dialog.axes.set_axis("x", "label", "3, 12")  # a label the model lacks: named with its cell
    assert "label=12" in dialog.summary.text() and not dialog.run_button.isEnabled()
    dialog.axes.set_axis("x", "steps", "2,3")
    dialog.axes.set_axis("z", "seed", "1,2")
    assert "choose a Y axis first" in dialog.summary.text()
    dialog.axes.set_axis("y", "steps", "4")
    assert "both sweep steps" in dialog.summary.text() and "X and Y" in dialog.summary.text()
    dialog.axes.set_axis("y", "seed", "1-2")
    dialog.axes.set_axis("z", "", "")
    assert dialog.summary.property("problem") is False and dialog.run_button.isEnabled()
    assert studio.view_model.status.error is None  # inline only: no banner, no box
    assert studio.sweep.confirm is None and not studio.sweep.running


def test_a_sweep_past_the_cell_limit_is_asked_about_first(qtbot, studio):
    studio.sweep.max_cells = 3
    dialog = sweep_dialog(qtbot, studio, {"x": ("seed", "1-2"), "y": ("steps", "2, 3")})
    assert "More than 3: you will be asked" in dialog.summary.text() and dialog.run_button.isEnabled()
    dialog.run_button.click()
    box = studio.sweep.confirm
    qtbot.waitUntil(box.isVisible, timeout=2_000)
    assert "4 cells, more than 3" in box.text() and not studio.sweep.running
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert not studio.sweep.running and studio.sweep.plan is None  # no means nothing runs
    dialog.run_button.click()
    studio.sweep.confirm.button(QMessageBox.StandardButton.Yes).click()
    assert studio.sweep.running
    qtbot.waitUntil(lambda: not studio.sweep.running, timeout=30_000)
    assert sorted(studio.sweep.images) == [0, 1, 2, 3]


def test_without_ray_the_cluster_setting_says_how_to_install_it(qtbot, studio, monkeypatch):
    import gui.sweep_cluster

    monkeypatch.setattr(gui.sweep_cluster, "ray_installed", lambda: False)
    dialog = sweep_dialog(qtbot, studio, {"x": ("seed", "1-2")})
    cluster = dialog.cluster
    assert 'pip install -e ".[cluster]"' in cluster.hint.text()
    model = cluster.kind.model()
    assert [model.item(row).isEnabled() for row in range(3)] == [True, False, False]
    assert cluster.choice().kind == "here" and cluster.problem() is None and dialog.run_button.isEnabled()


def test_a_sweep_on_a_local_ray_shows_its_workers_and_records_every_cell(qtbot, studio):
    import pytest

    pytest.importorskip("ray")
    dialog = sweep_dialog(qtbot, studio, {"x": ("seed", "1-2"), "y": ("steps", "2, 3")})
    cluster = dialog.cluster
    cluster.kind.setCurrentIndex(cluster.kind.findData("local-ray"))
    cluster.workers.setValue(2)
    assert cluster.workers.isVisible() and "Starts Ray here" in cluster.hint.text()
    seen = []
    original = dialog.workers.setText
    dialog.workers.setText = lambda text: (seen.append(text), original(text))
    run_to_end(qtbot, studio, timeout=120_000)
    assert sorted(studio.sweep.images) == [0, 1, 2, 3], dialog.summary.text()
    assert any(text.startswith("2 Ray workers · busy: ") and text != "2 Ray workers · busy: none" for text in seen)
    assert dialog.counts.text().startswith("4 of 4 cells done · 0 running · 0 waiting")
    qtbot.waitUntil(lambda: len(studio.sweep.run_ids) == 4, timeout=10_000)
    (group,) = studio.history.history.list_sweeps()
    cells = studio.history.history.list_runs(sweep=group.id)
    assert [run.sweep_cell for run in cells] == [0, 1, 2, 3] and len({run.id for run in cells}) == 4
    assert [(r.recipe().seed, r.recipe().steps) for r in cells] == [(1, 2), (2, 2), (1, 3), (2, 3)]
