"""The families side by side and an interpolation are groups in the history as a sweep is (schema 5):
an older database's sweeps stay sweeps, each family's run and each frame is an ordinary run whose
recipe remakes it, the group names its cells, and the CLI's `interpolate` records its frames."""

from __future__ import annotations

import json
import sqlite3
import threading

import numpy as np
import pytest

from engine.families.plan import pick_models, plan_families
from engine.history import History
from engine.history.recording import record_families, record_interpolation, record_run
from engine.history.schema import SCHEMA_VERSION, migrate
from engine.interpolate.plan import make_interpolation
from engine.interpolate.runner import FrameDone, run_interpolation
from engine.models.catalog import find_model
from engine.recipe import Recipe
from engine.run import run
from engine.trajectory import Trajectory
from tests.engine.helpers import finished_images
from tests.engine.test_cli import run_cli
from tests.engine.test_history import synthetic


def test_a_version_4_database_keeps_its_sweeps_as_sweeps_and_gains_group_kinds(isolated_user_data):
    path = isolated_user_data / "history.sqlite3"
    path.parent.mkdir(parents=True)
    old = sqlite3.connect(path, isolation_level=None)
    assert migrate(old, target=4) == 4
    axes = json.dumps({"x": {"field": "seed", "values": ["1", "2"]}})
    old.execute("INSERT INTO sweeps (id, created_at, description, axes_json, cells) VALUES (7, 5.0, 'X: Seed 1, 2', "
                "?, 2)", (axes,))
    old.execute("INSERT INTO runs (created_at, recipe_json, model, sampler, family, device, duration_s, outcome, "
                "sweep_id, sweep_cell) VALUES (5.0, ?, 'digits', 'ddim', 'diffusion', 'cpu', 2.0, 'finished', 7, 1)",
                (Recipe(model="digits", sampler="ddim", seed=2).to_json(),))
    old.close()
    with History() as history:
        (sweep,) = history.list_sweeps()
        assert (sweep.kind, sweep.noun, sweep.cell_label(1)) == ("sweep", "sweep", "seed=2")
        assert sweep.title() == "Sweep #7 · 1 of 2 cells · X: Seed 1, 2"
        group = history.add_sweep("label 3", json.dumps({"cells": ["a", "b"]}), 2, kind="families")
        history.add_run(synthetic(), sweep_cell=(group, 1))
        assert history.get_sweep(group).kind == "families" and history.get_sweep(group).cell_label(1) == "b"
        with pytest.raises(ValueError, match="not 'album'"):
            history.add_sweep("x", "{}", 1, kind="album")
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5


def test_each_familys_run_is_an_ordinary_run_in_one_families_group(tiny_models):
    models = pick_models([find_model(str(tiny_models[family])) for family in ("diffusion", "vae", "gan")])
    plan = plan_families(Recipe(label="3", steps=2, device="cpu"), models, first_seed=20, count=3)
    with History() as history:
        group = record_families(history, plan)
        finals = []
        for index, family_run in enumerate(plan.runs):
            trajectory = Trajectory()
            for event in run(family_run.recipe, previews=False):
                trajectory.record(event)
            record_run(history, trajectory, sweep_cell=(group, index))
            finals.append(trajectory.final)
        (record,) = history.list_sweeps()
        runs = history.list_runs(sweep=group)
    assert record.kind == "families" and record.title() == (
        f"Families #{group} · 3 runs · label 3, seeds 20-22: tiny-diffusion, tiny-vae, tiny-gan")
    assert [record.cell_label(run.sweep_cell) for run in runs] == ["tiny-diffusion", "tiny-vae", "tiny-gan"]
    assert [run.family for run in runs] == ["diffusion", "vae", "gan"]
    for stored, final in zip(runs, finals):  # restoring a run's recipe remakes its samples, as any other run's
        recipe = stored.recipe()
        assert recipe.seed == 20 and recipe.batch == 3 and stored.thumbnail
        assert np.array_equal(finished_images(recipe), final)
    assert runs[1].recipe().label is None and runs[2].recipe().label == "3"  # the VAE draws any digit


def test_an_interpolations_frames_done_are_runs_of_their_own_recipes_in_one_group(tiny_models):
    plan = make_interpolation(Recipe(model=str(tiny_models["gan"]), label="2", device="cpu"), (1, 2), 3)
    cancel, made = threading.Event(), []
    with History() as history:
        group = record_interpolation(history, plan)
        for item in run_interpolation(plan, cancel):
            if isinstance(item, FrameDone):
                assert item.trajectory.outcome == "finished" and item.trajectory.recipe == item.recipe
                made.append((record_run(history, item.trajectory, sweep_cell=(group, item.frame.index)), item))
                if len(made) == 3:
                    cancel.set()  # stopped: the frames done stay recorded
        (record,) = history.list_sweeps()
        runs = history.list_runs(sweep=group)
    assert [run.id for run in runs] == [run_id for run_id, _ in made] and len(runs) == 3
    assert record.kind == "interpolation" and record.title().startswith(f"Interpolation #{group} · 3 of 5 frames · "
                                                                        "interpolation of seeds 1 → 2")
    assert [record.cell_label(run.sweep_cell) for run in runs] == [plan.frames[i].label for i in range(3)]
    for stored, (_, item) in zip(runs, made):
        recipe = stored.recipe()
        assert recipe == item.recipe and (recipe.seed, recipe.variation_seed) == (1, 0 if item.frame.t == 0 else 2)
        assert np.array_equal(finished_images(recipe)[0], item.image)  # the recipe remakes the frame


def test_the_cli_records_an_interpolations_frames_as_one_group_with_its_sheet(capsys, tiny_models, tmp_path):
    code, out, err = run_cli(capsys, "interpolate", "--model", str(tiny_models["vae"]), "--device", "cpu",
                             "--seeds", "4,5", "--frames-between", "1", "--format", "gif", "--format", "sheet",
                             "--out", str(tmp_path), "--json")
    assert code == 0, err
    summary = json.loads(out)
    with History() as history:
        (group,) = history.list_sweeps()
        runs = history.list_runs(sweep=group.id)
    assert summary["history_group"] == group.id and group.kind == "interpolation" and group.runs == group.cells == 3
    assert [run.id for run in runs] == [frame["run_id"] for frame in summary["frames"]]
    assert [json.loads(run.recipe_json) for run in runs] == [frame["recipe"] for frame in summary["frames"]]
    assert [group.cell_label(run.sweep_cell) for run in runs] == [frame["label"] for frame in summary["frames"]]
    assert group.grid_path == next(path for path in summary["files"] if path.endswith(".png"))
    code, out, err = run_cli(capsys, "history")  # each frame says which group it is and which frame
    assert code == 0, err
    assert [line.split("  interpolation ")[1] for line in out.splitlines()] == [
        f"{group.id}: {frame['label']}" for frame in reversed(summary["frames"])]
    code, out, err = run_cli(capsys, "history", "--json")
    assert [(run["group_id"], run["group_cell"]) for run in json.loads(out)["runs"]] == [
        (group.id, cell) for cell in (2, 1, 0)]
    code, out, err = run_cli(capsys, "interpolate", "--model", str(tiny_models["vae"]), "--device", "cpu",
                             "--seeds", "4,5", "--frames-between", "1", "--out", str(tmp_path), "--no-history")
    assert code == 0, err
    with History() as history:
        assert len(history.list_sweeps()) == 1 and len(history.list_runs()) == 3


def test_an_interrupted_cli_interpolation_keeps_its_frames_done_recorded(capsys, tiny_models, tmp_path, monkeypatch):
    from tests.engine.test_interpolate import interrupt_interpolations_after

    interrupt_interpolations_after(monkeypatch, 2)
    code, _, err = run_cli(capsys, "interpolate", "--model", str(tiny_models["vae"]), "--device", "cpu",
                           "--seeds", "1,2", "--frames-between", "3", "--out", str(tmp_path))
    assert code == 130, err
    with History() as history:
        (group,) = history.list_sweeps()
        runs = history.list_runs(sweep=group.id)
    assert "2 of 5 frames" in group.title() and [run.recipe().variation_strength for run in runs] == [0.0, 0.25]


def test_a_history_that_cannot_be_written_costs_one_warning_not_the_frames(capsys, tiny_models, tmp_path,
                                                                           isolated_user_data):
    isolated_user_data.mkdir(parents=True)
    sqlite3.connect(isolated_user_data / "history.sqlite3").execute("PRAGMA user_version = 99")
    code, out, err = run_cli(capsys, "interpolate", "--model", str(tiny_models["gan"]), "--device", "cpu",
                             "--seeds", "1,2", "--frames-between", "2", "--out", str(tmp_path))
    assert code == 0 and len(out.split()) == 1
    assert err.count("the interpolation was not recorded in history") == 1 and "newer Noisescope" in err
