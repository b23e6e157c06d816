"""Run > Interpolate… in the real window with a real engine thread: the frames are the engine
runner's for the same plan and fill the player as they finish; cancel keeps the frames made; bad
input is the engine's message, inline; the exported file carries every frame's recipe."""

from __future__ import annotations

import numpy as np
import pytest

from engine.events import Started
from engine.interpolate.reading import read_interpolation
from gui.interpolate_job import EVENT

BASE = {"model": "tiny-diffusion", "label": "3", "steps": 2, "batch": 1, "sampler": "ddim", "seed_locked": True}


def interpolate_dialog(qtbot, studio, seeds: str, between: int = 2, prompts: str = "", **form):
    for name, value in {**BASE, **form}.items():
        studio.view_model.form.set_field(name, value)
    studio.interpolate.action.trigger()
    dialog = studio.interpolate.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2_000)
    dialog.between.setValue(between)
    dialog.prompts.setPlainText(prompts)
    dialog.seeds.setText(seeds)
    return dialog


def run_to_end(qtbot, studio, timeout=30_000):
    dialog = studio.interpolate.dialog
    assert dialog.run_button.isEnabled(), dialog.summary.text()
    dialog.run_button.click()
    assert studio.interpolate.running
    qtbot.waitUntil(lambda: not studio.interpolate.running, timeout=timeout)


@pytest.mark.parametrize("model, form", [("tiny-diffusion", {}), ("tiny-vae", {"label": None})])
def test_the_frames_are_the_engine_runners_and_fill_the_player(qtbot, studio, model, form):
    dialog = interpolate_dialog(qtbot, studio, "5, 6, 9", between=2, **{**form, "model": model})
    assert dialog.summary.property("problem") is False and dialog.summary.text().startswith("Interpolation of seeds 5 → 6 → 9, 2 frames between each pair (7 frames)")
    assert model in dialog.base.text() and "seed" not in dialog.base.text()  # the seeds are the dialog's
    run_to_end(qtbot, studio)
    wiring = studio.interpolate
    plan = wiring.plan
    from engine.interpolate.runner import FrameDone, run_interpolation

    made = [item for item in run_interpolation(plan) if isinstance(item, FrameDone)]
    assert sorted(wiring.images) == [frame.frame.index for frame in made] == list(range(7))
    for item in made:
        np.testing.assert_array_equal(wiring.images[item.frame.index], item.image)
        assert wiring.recipes[item.frame.index] == item.recipe
    assert [(r.seed, r.variation_seed, r.variation_strength) for r in (wiring.recipes[i] for i in (0, 1, 3, 4))] == [
        (5, 0, 0.0), (5, 6, 0.3333), (6, 0, 0.0), (6, 9, 0.3333)]  # keyframes are the plain seeds
    assert dialog.strip.count() == 7 and dialog.slider.maximum() == 6 and dialog.slider.value() == 6
    assert "Done: 7 of 7 frames" in dialog.note.text() and dialog.counts.text() == "7 of 7 frames done"
    assert dialog.export_button.isEnabled() and dialog.play_button.isEnabled()

    dialog.slider.setValue(1)  # scrubbing shows that frame and its label
    assert dialog.caption.text() == plan.frames[1].label and dialog.strip.currentRow() == 1
    shown = dialog.view.image
    assert (shown.width(), shown.height()) == wiring.images[1].shape[1::-1]
    dialog.play_button.click()  # Play steps through the frames
    assert wiring.timer.isActive() and dialog.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: dialog.slider.value() != 1, timeout=2_000)
    dialog.play_button.click()
    assert not wiring.timer.isActive()
    assert not studio.view_model.status.busy and studio.view_model.status.error is None


def test_cancel_stops_at_the_frame_running_and_keeps_those_done(qtbot, studio, monkeypatch):
    dialog = interpolate_dialog(qtbot, studio, "1, 2, 3", between=3, steps=100)
    wiring, seen = studio.interpolate, []
    original = wiring._arrived

    def watch(items):
        original(items)
        if not seen and any(kind == EVENT and isinstance(item.event, Started) and item.frame.index >= 1
                            for kind, item in items):
            seen.append((dialog.counts.text(), len(wiring.images)))
            dialog.cancel_button.click()  # a frame after the first is being made: it and the rest never finish

    monkeypatch.setattr(wiring, "_arrived", watch)
    run_to_end(qtbot, studio)
    ((text, done),), kept = seen, len(wiring.images)
    assert text.startswith("Frame ") and f"of 9 · {done} done" in text and done < 9
    assert sorted(wiring.images) == list(range(kept)) and done <= kept < 9 and dialog.strip.count() == kept
    assert f"Stopped: {kept} of 9 frames" in dialog.note.text() and dialog.counts.text() == f"{kept} of 9 frames done"
    assert dialog.run_button.isEnabled() and not dialog.cancel_button.isEnabled() and dialog.export_button.isEnabled()
    assert not studio.view_model.status.busy


def test_bad_input_is_the_engines_message_inline_and_nothing_runs(qtbot, studio):
    dialog = interpolate_dialog(qtbot, studio, "")
    assert "Type two or more seeds" in dialog.summary.text() and dialog.summary.property("problem") is False
    assert not dialog.run_button.isEnabled()
    cases = [("5", "", "at least 2 seeds, got 1"), ("5, x", "", "whole numbers separated by commas"),
             ("5, -1", "", "out of range"), ("5, 6", "a cat\na dog", "prompts are for a text-to-image model")]
    for seeds, prompts, words in cases:
        dialog.prompts.setPlainText(prompts)
        dialog.seeds.setText(seeds)
        text = dialog.summary.text()
        assert words in text and dialog.summary.property("problem") is True, (seeds, text)
        assert "--" not in text and "Traceback" not in text and not dialog.run_button.isEnabled()
    studio.view_model.form.set_field("label", None)  # unconditional: the model's own words about prompts
    assert "takes no text prompt" in dialog.summary.text() and "Clear the Prompts box" in dialog.summary.text()
    dialog.prompts.setPlainText("")
    assert dialog.summary.property("problem") is False and dialog.run_button.isEnabled()
    assert studio.view_model.status.error is None and not studio.interpolate.running


def test_the_export_carries_every_frames_recipe(qtbot, studio, tmp_path):
    dialog = interpolate_dialog(qtbot, studio, "3, 4", between=1, model="tiny-gan", label="2")
    run_to_end(qtbot, studio)
    wiring, out = studio.interpolate, tmp_path / "out"
    out.mkdir()
    for name in ("walk.gif", "walk.webp", "walk.mp4"):
        task = wiring.export(out / name)
        qtbot.waitUntil(task.done, timeout=10_000)
        assert dialog.note.text() == f"Saved: {out / name}"
        read = read_interpolation(out / name)
        assert read is not None and read.seeds == (3, 4) and read.total_frames == 3
        assert [frame.recipe for frame in read.frames] == [wiring.recipes[i] for i in range(3)]
    assert sorted(path.name for path in out.iterdir()) == ["walk.gif", "walk.mp4", "walk.webp"]  # no leftovers
    task = wiring.export(out / "walk.png")
    qtbot.waitUntil(task.done, timeout=10_000)
    assert "saved as .mp4, .webp or .gif" in dialog.note.text() and not (out / "walk.png").exists()


@pytest.fixture
def sd_studio(make_studio, monkeypatch, tmp_path_factory):
    from tests.engine.tiny_sd import tiny_sd_folder

    root = tmp_path_factory.mktemp("sd-assets")
    (root / "models").mkdir()
    tiny_sd_folder(root / "models", "tiny-sd")
    monkeypatch.setenv("NOISESCOPE_ASSETS", str(root))
    return make_studio()


def test_a_text_model_walks_from_prompt_to_prompt(qtbot, sd_studio):
    sd = {"model": "tiny-sd", "prompt": "a red cat", "width": 32, "height": 32, "steps": 2, "guidance": 5.0,
          "seed": 7, "label": None}
    dialog = interpolate_dialog(qtbot, sd_studio, "", between=1, prompts="a red cat\n\na blue dog", **sd)
    assert dialog.prompts_label.text() == "Prompts" and "'a red cat' → 'a blue dog' (seed 7)" in dialog.summary.text()
    run_to_end(qtbot, sd_studio)
    wiring = sd_studio.interpolate
    assert wiring.plan.prompts == ("a red cat", "a blue dog") and len(wiring.images) == 3
    assert [wiring.recipes[i].prompt for i in range(3)] == ["a red cat", "a red cat", "a blue dog"]
    assert wiring.recipes[1].conditioning.blend_to == "a blue dog" and wiring.recipes[1].seed == 7
    assert not np.array_equal(wiring.images[0], wiring.images[2])  # (the pixels are the runner's: tested above)
    dialog.seeds.setText("1, 2, 3")  # one seed, or one per prompt
    assert "one seed per prompt (2), not 3" in dialog.summary.text() and not dialog.run_button.isEnabled()


def test_quitting_during_an_interpolation_stops_it_promptly(qtbot, studio):
    interpolate_dialog(qtbot, studio, "1, 2, 3, 4", between=20, steps=100)
    studio.interpolate.dialog.run_button.click()
    qtbot.waitUntil(lambda: bool(studio.interpolate.images), timeout=10_000)
    assert studio.close() and not studio.adapter.worker_alive  # the frame running stopped at its next step
    assert studio.interpolate.job is None or studio.interpolate.job.cancel.is_set()


@pytest.mark.parametrize("cancelled", [False, True])
def test_the_frames_made_are_one_group_in_the_gallery_and_each_restores_its_recipe(qtbot, studio, monkeypatch,
                                                                                  cancelled):
    from tests.gui.test_history_wiring import gallery_of, runs_shown

    gallery = gallery_of(qtbot, studio)  # the history is open: the frames are recorded
    dialog = interpolate_dialog(qtbot, studio, "5, 6", between=2, steps=60 if cancelled else 2)
    assert not dialog.gallery_button.isEnabled()  # nothing made yet
    wiring = studio.interpolate
    if cancelled:  # stopped during the third frame: the two done are kept, in the history too
        original = wiring._arrived

        def watch(items):
            original(items)
            if len(wiring.images) >= 2 and wiring.job is not None and not wiring.job.cancel.is_set():
                dialog.cancel_button.click()

        monkeypatch.setattr(wiring, "_arrived", watch)
    run_to_end(qtbot, studio)
    made = sorted(wiring.images)
    assert made == ([0, 1] if cancelled else [0, 1, 2, 3])
    qtbot.waitUntil(lambda: "In the Gallery as interpolation #" in dialog.note.text(), timeout=10_000)
    history = studio.history.history
    (group,) = history.list_sweeps()
    runs = history.list_runs(sweep=group.id)
    assert group.kind == "interpolation" and [run.sweep_cell for run in runs] == made
    assert group.title().startswith(f"Interpolation #{group.id} · {'2 of 4' if cancelled else '4'} frames · ")
    assert [run.recipe() for run in runs] == [wiring.recipes[i] for i in made]
    assert [group.cell_label(run.sweep_cell) for run in runs] == [wiring.plan.frames[i].label for i in made]
    qtbot.waitUntil(lambda: len(runs_shown(gallery)) == len(made), timeout=10_000)
    assert dialog.gallery_button.isEnabled()
    dialog.gallery_button.click()  # the gallery's group filter on this walk: its frames in order
    qtbot.waitUntil(lambda: gallery.sweep_filter.currentData() == group.id, timeout=10_000)
    qtbot.waitUntil(lambda: [run.id for run in runs_shown(gallery)] == [run.id for run in runs], timeout=10_000)
    caption = gallery.model.data(gallery.model.index(gallery.model.row_of(runs[1].id)))
    assert f"▦ interpolation #{group.id}: seed 5 → 6, t=0.3333" in caption

    vm = studio.view_model
    gallery.select_run(runs[1].id)  # a frame between the seeds: its variation seed and strength come back
    gallery.open_button.click()
    qtbot.waitUntil(lambda: vm.form.fields.variation_strength == 0.3333, timeout=10_000)
    restored = vm.form.build_recipe().check_against_model(vm.form.model_info())  # as Generate runs it
    assert restored == runs[1].recipe() and (restored.seed, restored.variation_seed) == (5, 6)
