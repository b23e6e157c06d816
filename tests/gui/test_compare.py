"""Compare in the window: runs picked in the gallery open side by side on one playhead, aligned as
engine.compare aligns them, with the engine's difference numbers; Compare says why it is off for
1 or 5 runs; a VAE run beside a diffusion run; runs that cannot be compared get one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel

from engine import Recipe, run
from engine.compare.alignment import align, describe
from engine.compare.panes import position_view
from engine.compare.reading import read_comparison
from engine.compare.runs import CompareRun, check_runs
from engine.errors import CompareError
from engine.history import History
from engine.history.recording import record_run
from engine.kinds import Outcome
from engine.trajectory import Trajectory
from gui.compare_view import CompareView
from gui.compare_wiring import load_for_compare
from gui.disk_worker import DiskWorker
from gui.gallery_panel import GalleryPanel
from gui.qimage import to_qimage
from gui.tasks import TaskKeeper
from tests.gui.test_gallery import settled, synthetic

BUNDLED = Path(__file__).resolve().parents[2] / "assets" / "models"


@pytest.fixture(scope="module")
def recorded() -> dict[str, Trajectory]:
    """The bundled digits models (by folder: the tests' assets hold tiny models): DDIM 6 steps, Euler 4, a VAE."""
    def record(recipe: Recipe) -> Trajectory:
        trajectory = Trajectory()
        for event in run(recipe):
            trajectory.record(event)
        assert trajectory.outcome == Outcome.FINISHED
        return trajectory

    digits = str(BUNDLED / "digits-diffusion")
    return {"ddim": record(Recipe(model=digits, sampler="ddim", steps=6, seed=5, label="4", device="cpu")),
            "euler": record(Recipe(model=digits, sampler="euler", steps=4, seed=5, label="4", device="cpu")),
            "vae": record(Recipe(model=str(BUNDLED / "digits-vae"), seed=5, device="cpu"))}


@pytest.fixture
def keeper(event_loop_qt):
    errors: list[BaseException] = []
    tasks = TaskKeeper(errors.append)
    yield tasks
    tasks.cancel_all()
    assert not errors


def select(panel: GalleryPanel, run_ids: list[int]) -> None:
    selection = panel.view.selectionModel()
    selection.clearSelection()
    for run_id in run_ids:
        selection.select(panel.model.index(panel.model.row_of(run_id)), QItemSelectionModel.SelectionFlag.Select)


def show(qtbot, view: CompareView, position: int) -> None:
    view.slider.setValue(position)
    qtbot.waitUntil(view.settled, timeout=5_000)


def test_gallery_runs_open_side_by_side_aligned_with_the_engines_numbers(qtbot, studio, recorded, tmp_path):
    wiring = studio.history
    qtbot.waitUntil(lambda: wiring.gallery is not None, timeout=10_000)
    ids = [record_run(wiring.history, recorded[name]) for name in ("ddim", "euler")]
    gallery = wiring.gallery
    refreshing = gallery.refresh()
    qtbot.waitUntil(refreshing.done, timeout=5_000)
    select(gallery, ids)
    assert gallery.compare_button.isEnabled() and gallery.selected_run() is None  # Open etc. act on one run
    with qtbot.waitSignal(studio.compare.opened, timeout=10_000) as opened:
        gallery.compare_button.click()
    view: CompareView = opened.args[0]
    qtbot.waitUntil(view.settled, timeout=5_000)
    runs = [recorded["ddim"], recorded["euler"]]
    expected = align(runs, "sigma")
    assert len(view.alignment) == len(expected) and view.position == len(expected) - 1  # the final images first
    assert [pane.caption.text() for pane in view.panes] == ["final", "final"]
    view.slider.setValue(0)
    assert not view.settled()  # a position not seen yet is made on the worker, not on the GUI thread
    for position in range(len(expected)):
        show(qtbot, view, position)
        assert [pane.caption.text() for pane in view.panes] == [describe(t, expected.shown(position, i))
                                                                 for i, t in enumerate(runs)]
        engine = position_view(runs, expected, position).pairs[0].difference
        assert view.difference == engine and view.difference_pane.caption.text() == engine.text()
        if position < len(expected) - 1:  # e.g. "step 2/4, sigma 1.02": the run's own step
            assert all(p.caption.text().startswith("step ") and "sigma" in p.caption.text() for p in view.panes)

    view.align_combo.setCurrentIndex(view.align_combo.findData("fraction"))
    view.view_combo.setCurrentIndex(view.view_combo.findData("x_t"))
    qtbot.waitUntil(lambda: view.alignment.mode == "fraction" and view.settled(), timeout=5_000)
    by_fraction = align(runs, "fraction")
    show(qtbot, view, 1)
    shown = [by_fraction.shown(1, i) for i in range(2)]
    assert [pane.caption.text() for pane in view.panes] == [describe(t, s) for t, s in zip(runs, shown, strict=True)]
    assert view.panes[1].canvas.image == to_qimage(runs[1].frame(shown[1], "x_t")[0])

    out = tmp_path / "out"
    exporting = view.export_to(out)
    qtbot.waitUntil(exporting.done, timeout=20_000)
    sheet = out / "comparison-fraction-x_t-sample0-sheet.png"
    assert (out / "comparison-fraction-x_t-sample0.gif").is_file() and sheet.is_file()
    document = read_comparison(sheet)
    assert [r.recipe.sampler for r in document.runs] == ["ddim", "euler"] and document.align == "fraction"
    assert "Exported" in view.message.text()
    (tmp_path / "a-file").write_text("not a folder")
    failing = view.export_to(tmp_path / "a-file" / "out")
    qtbot.waitUntil(failing.done, timeout=5_000)
    assert view.message.text().startswith("The comparison was not exported: ") and view.export_button.isEnabled()


def test_compare_is_off_with_a_reason_for_one_or_five_runs(qtbot, tmp_path, keeper):
    with History(tmp_path / "history.sqlite3") as history:
        ids = [history.add_run(synthetic(seed=seed), created_at=float(seed)) for seed in range(5)]
        disk = DiskWorker("test-disk")
        try:
            asked: list[list[int]] = []
            panel = GalleryPanel(history, disk, keeper)
            qtbot.addWidget(panel)
            settled(qtbot, panel.model, 5)
            select(panel, ids[:3])
            assert not panel.compare_button.isEnabled()  # nothing opens comparisons yet
            panel.set_on_compare(asked.append)
            select(panel, ids[:1])
            assert not panel.compare_button.isEnabled() and "1 selected" in panel.compare_button.toolTip()
            select(panel, ids)
            assert not panel.compare_button.isEnabled()
            assert "5 runs are selected" in panel.compare_button.toolTip() and "unselect 1" in panel.compare_button.toolTip()
            select(panel, [ids[3], ids[0], ids[2]])
            assert panel.compare_button.isEnabled()
            panel.compare_button.click()
            assert asked == [[ids[0], ids[2], ids[3]]]  # oldest first: the first run is A
        finally:
            disk.close()


def test_a_vae_run_beside_diffusion_shows_its_one_image_throughout(qtbot, recorded, keeper):
    runs = [CompareRun(recorded["ddim"], "ddim"), CompareRun(recorded["euler"], "euler"), CompareRun(recorded["vae"], "vae")]
    notes = check_runs(runs)
    trajectories = [r.trajectory for r in runs]
    alignment = align(trajectories)
    worker = DiskWorker("test-compare")
    try:
        view = CompareView(runs, alignment, notes, worker, keeper)
        qtbot.addWidget(view)
        assert "one-pass" in view.notes.text() and not view.notes.isHidden()
        assert not view.export_button.isEnabled()  # no exporter given
        assert view.pair_combo.isVisibleTo(view) and view.pair_combo.count() == 3  # one chosen pair of three
        view.choose_pair(0, 2)  # DDIM beside the VAE
        assert view.pair_combo.currentText() == "|A − C|"
        for position in range(len(alignment) - 1):
            show(qtbot, view, position)
            assert view.panes[2].caption.text() == "one pass"
            assert view.difference == position_view(trajectories, alignment, position).pairs[1].difference
    finally:
        worker.close()


def test_runs_that_cannot_be_compared_get_one_clear_line(tmp_path, recorded):
    with History(tmp_path / "history.sqlite3") as history:
        unkept = history.add_run(synthetic(seed=1), created_at=1.0)  # no trajectory kept
        kept = record_run(history, recorded["ddim"])
        with pytest.raises(CompareError, match=f"run {unkept}: its steps were not kept.*export its trajectory"):
            load_for_compare(history, [kept, unkept])
        small = record_run(history, synthetic(seed=2))  # 8x8 beside 32x32
        with pytest.raises(CompareError, match="differ in size"):
            load_for_compare(history, [kept, small])
        with pytest.raises(CompareError, match="no longer in the history"):
            load_for_compare(history, [kept, 999])
        euler = record_run(history, recorded["euler"])
        runs, alignment, notes = load_for_compare(history, [kept, euler])
        assert [r.name.split()[0] for r in runs] == [f"#{kept}", f"#{euler}"] and notes == []
        assert runs[1].trajectory.recipe.sampler == "euler" and len(alignment) == len(align([r.trajectory for r in runs]))


def test_ab_runs_the_recipe_and_a_copy_with_one_setting_changed_side_by_side(qtbot, studio):
    vm = studio.view_model
    for name, value in dict(model="tiny-diffusion", sampler="ddim", steps=3, label="7", batch=1).items():
        vm.form.set_field(name, value)
    run_menu = next(a.menu() for a in studio.window.menuBar().actions() if a.text() == "&Run")
    assert studio.compare.ab_action in run_menu.actions()
    studio.compare.ab_action.trigger()
    dialog = studio.compare.ab_dialog
    assert dialog.isVisible() and dialog.setting.findData("eta") >= 0  # DDIM takes eta
    dialog.setting.setCurrentIndex(dialog.setting.findData("steps"))
    dialog.value_text.setText("3")
    dialog.run_button.click()
    assert dialog.isVisible() and "is A's" in dialog.error.text()  # B would be A: said, and the dialog stays
    dialog.value_text.setText("zero")
    dialog.run_button.click()
    assert "whole number" in dialog.error.text()
    dialog.setting.setCurrentIndex(dialog.setting.findData("sampler"))
    dialog.value_choice.setCurrentIndex(dialog.value_choice.findData("euler"))
    with qtbot.waitSignal(studio.compare.opened, timeout=30_000) as opened:
        dialog.run_button.click()
    view: CompareView = opened.args[0]
    a, b = view.trajectories
    assert (a.recipe.sampler, b.recipe.sampler) == ("ddim", "euler")
    assert a.recipe.seed == b.recipe.seed and a.recipe.replace(sampler="euler") == b.recipe
    assert "sampler Euler" in view.panes[1].title.text()
    qtbot.waitUntil(view.settled, timeout=5_000)
    assert view.difference == position_view(view.trajectories, align(view.trajectories), view.position).pairs[0].difference
    gallery = studio.history.gallery
    qtbot.waitUntil(lambda: gallery.model.rowCount() == 2, timeout=10_000)  # both recorded in the history


def test_ab_changes_one_setting_a_label_or_a_prompt():
    from engine.conditioning import ClassLabel, TextPrompt
    from engine.errors import InvalidRecipe
    from gui.ab_compare import changed_recipe, settings_for

    prompted = Recipe(model="m", prompt="a cat", sampler="euler", steps=4, seed=3)
    assert "conditioning" in settings_for(prompted, None)
    b = changed_recipe(prompted, "conditioning", "a dog")
    assert b.conditioning == TextPrompt("a dog") and b.replace(prompt="a cat") == prompted and b.seed == 3
    labelled = Recipe(model="m", label="4", sampler="ddim", steps=4)
    assert changed_recipe(labelled, "conditioning", "7").conditioning == ClassLabel("7")
    assert changed_recipe(labelled, "eta", "0.5").eta == 0.5
    assert "conditioning" not in settings_for(Recipe(model="m", sampler="ddim", steps=4), None)
    with pytest.raises(InvalidRecipe, match="sampler is A's"):
        changed_recipe(labelled, "sampler", "ddim")
    with pytest.raises(InvalidRecipe):
        changed_recipe(labelled, "steps", "0")  # below the field's range
