"""A recipe's memory is estimated before the run, and previews past a budget keep every k-th step,
said in a notice, never dropping the final images or the lifecycle (issue 12)."""

from __future__ import annotations

import importlib
import json

import numpy as np

from engine import Recipe
from engine.cli.main import main
from engine.events import Finished, Started, Step
from engine.export.trajectory_file import load_trajectory
from engine.memory import estimate
from engine.models.catalog import model_info_at
from engine.trajectory import Trajectory
from tests.engine.helpers import events_of


def _step(index: int, size: int = 16) -> Step:
    frame = np.zeros((2, size, size, 1), dtype=np.uint8)
    return Step(index, 40, 500.0, 1.0, frame, frame.copy(), frame.copy(), elapsed_s=0.0)


def test_previews_past_the_budget_keep_every_kth_step_and_say_so():
    recipe = Recipe(model="m", family="diffusion", steps=40, batch=2)
    per_step = _step(0).x_t.nbytes * 3
    recorded = Trajectory(preview_budget=12 * per_step)
    recorded.record(Started(recipe, 40, (16, 16, 1), "cpu", "float32", "m"))
    for index in range(40):
        recorded.record(_step(index))
        assert len(recorded.steps) * per_step <= 12 * per_step  # within the budget at every step
    recorded.record(Finished(recipe, np.ones((2, 16, 16, 1), dtype=np.uint8), 1.0))
    indexes = [s.index for s in recorded.steps]
    assert recorded.keep_every == 4 and indexes == list(range(0, 40, 4)) + [39]
    assert recorded.final is not None and recorded.outcome == "finished" and recorded.total_steps == 40
    assert len(recorded.notices) == 1 and "every 4th step" in recorded.notices[0]


def test_no_budget_keeps_every_step():
    recorded = Trajectory(preview_budget=None)
    for index in range(30):
        recorded.record(_step(index))
    assert len(recorded) == 30 and recorded.notices == []


def test_the_estimate_counts_model_working_memory_and_every_preview(tiny_models):
    info = model_info_at(tiny_models["diffusion"])
    needed = estimate(Recipe(model=info.name, steps=10, batch=4).check_against_model(info), info)
    assert needed.preview_bytes == 10 * 4 * 8 * 8 * 1 * 3
    assert needed.model_bytes == info.parameters * 4 and needed.activation_bytes > 0


def test_a_guided_runs_estimate_counts_its_six_views_as_recorded(tiny_models):
    info = model_info_at(tiny_models["diffusion"])
    recipe = Recipe(model=str(tiny_models["diffusion"]), steps=4, batch=2, label="3", guidance=3.0, device="cpu")
    needed = estimate(recipe.check_against_model(info), info)
    steps = [e for e in events_of(recipe) if isinstance(e, Step)]
    assert steps and all(step.guided for step in steps)
    recorded = sum(step.x_t.nbytes + step.x0.nbytes + step.noise.nbytes + step.noise_cond.nbytes
                   + step.noise_uncond.nbytes + step.noise_guidance.nbytes for step in steps)
    assert needed.preview_bytes == recorded  # exact, as for unguided runs
    unguided = estimate(recipe.replace(label=None, guidance=None).check_against_model(info), info)
    assert unguided.preview_bytes * 2 == needed.preview_bytes


def test_a_recipe_that_does_not_fit_is_refused_before_loading(tiny_models, monkeypatch):
    monkeypatch.setattr(importlib.import_module("engine.run"), "available_bytes", lambda: 1000)
    monkeypatch.setattr("engine.model_cache.load_model", lambda *a: (_ for _ in ()).throw(AssertionError("loaded")))
    events = events_of(Recipe(model=str(tiny_models["vae"]), sampler="none", batch=8))
    assert len(events) == 1 and events[0].kind == "out_of_memory"
    assert "needs about" in events[0].message and "lower the batch size (now 8)" in events[0].message


def test_the_cli_budget_thins_previews_and_says_so(tiny_models, tmp_path, capsys):
    code = main(["generate", "--model", str(tiny_models["diffusion"]), "--steps", "12", "--label", "3",
                 "--preview-budget", "0.000001", "--trajectory", "--out", str(tmp_path), "--no-history", "--json",
                 "--device", "cpu"])
    captured = capsys.readouterr()
    assert code == 0 and "previews of every" in captured.err and "--preview-budget" in captured.err
    path = next(e["path"] for e in json.loads(captured.out)["exports"] if e["kind"] == "trajectory")
    kept = load_trajectory(path)
    assert 1 < len(kept) < 12 and kept.steps[-1].index == 11 and kept.final is not None


def test_the_cli_takes_its_budget_from_the_settings_file_and_refuses_a_negative_one(
        tiny_models, tmp_path, capsys, monkeypatch):
    settings = tmp_path / "settings"
    settings.mkdir()
    (settings / "config.json").write_text(json.dumps({"preview_budget_gb": 0.000001}))
    monkeypatch.setenv("NOISESCOPE_CONFIG_DIR", str(settings))
    args = ["generate", "--model", str(tiny_models["diffusion"]), "--steps", "12", "--label", "3",
            "--trajectory", "--out", str(tmp_path / "out"), "--no-history", "--json", "--device", "cpu"]
    assert main(args) == 0
    captured = capsys.readouterr()
    path = next(e["path"] for e in json.loads(captured.out)["exports"] if e["kind"] == "trajectory")
    assert 1 < len(load_trajectory(path)) < 12  # thinned by the setting, with no flag given
    assert main([*args, "--preview-budget", "-1"]) == 2
    assert "--preview-budget must be 0 (no limit) or more GB" in capsys.readouterr().err
