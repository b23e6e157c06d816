"""`noisescope branch` and the history of branches: files as `generate` writes them, the parent and
the step recorded, clear refusals, and a database from before branches brought up to date."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import Recipe
from engine.branch import Branch
from engine.cli.main import main
from engine.events import Finished, Started, Step
from engine.export.trajectory_file import load_trajectory
from engine.history import History
from engine.history.schema import SCHEMA_VERSION, migrate
from engine.trajectory import Trajectory


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def pixels(path: str) -> np.ndarray:
    return np.asarray(Image.open(path))


def trajectory_of(summary: dict) -> Path:
    return Path(next(e["path"] for e in summary["exports"] if e["kind"] == "trajectory"))


@pytest.fixture
def parent(tmp_path, capsys) -> dict:
    code, out, err = run_cli(capsys, "generate", "--model", "digits-diffusion", "--label", 4, "--sampler", "dpmpp_2m",
                             "--steps", 4, "--seed", 3, "--batch", 2, "--device", "cpu", "--trajectory",
                             "--out", tmp_path / "parent", "--json")
    assert code == 0, err
    return json.loads(out)


def test_an_unchanged_branch_writes_the_parents_pixels_and_is_recorded_as_its_branch(parent, tmp_path, capsys):
    code, out, err = run_cli(capsys, "branch", trajectory_of(parent), "--from-step", 2, "--out", tmp_path / "b",
                             "--json")
    assert code == 0, err
    branch = json.loads(out)
    assert "from step 2" in err and "no setting changed" in err
    for ours, theirs in zip(branch["images"], parent["images"], strict=True):
        assert np.array_equal(pixels(ours), pixels(theirs))
    assert branch["recipe"]["branch"]["from_step"] == 2
    assert Recipe.from_dict(branch["recipe"]["branch"]["parent"]) == Recipe.from_dict(parent["recipe"])
    with History() as history:
        record = history.get_run(branch["run_id"])
        assert (record.parent_id, record.from_step) == (parent["run_id"], 2)
        assert [r.id for r in history.branches(parent["run_id"])] == [branch["run_id"]]
    code, out, _ = run_cli(capsys, "history", "--json")
    listed = {run["id"]: run for run in json.loads(out)["runs"]}
    assert (listed[branch["run_id"]]["parent_id"], listed[branch["run_id"]]["from_step"]) == (parent["run_id"], 2)
    code, out, _ = run_cli(capsys, "history")
    assert code == 0 and f"branch of run {parent['run_id']} at step 2" in out


def test_a_changed_sampler_writes_a_trajectory_that_starts_with_the_parents_steps(parent, tmp_path, capsys):
    code, out, err = run_cli(capsys, "branch", trajectory_of(parent), "--from-step", 1, "--sampler", "Euler",
                             "--steps", 8, "--guidance", 5, "--trajectory", "--out", tmp_path / "b", "--json",
                             "--no-history")
    assert code == 0, err
    assert "sampler dpmpp_2m -> euler" in err and "guidance 3.0 -> 5.0" in err
    written = trajectory_of(json.loads(out))
    ours, theirs = load_trajectory(written), load_trajectory(trajectory_of(parent))
    assert np.array_equal(ours.steps[0].x_t, theirs.steps[0].x_t) and np.array_equal(ours.steps[1].x_t,
                                                                                     theirs.steps[1].x_t)
    assert ours.steps[1].sigma == theirs.steps[1].sigma and ours.total_steps > 2
    assert not np.array_equal(ours.final, theirs.final)
    assert ours.recipe.branch.from_step == 1 and ours.recipe.sampler == "euler"
    code, out, _ = run_cli(capsys, "show", written)
    assert code == 0 and "Branch of" in out and "from step 1 of a DPM++ 2M run of 4 steps" in out


def test_a_step_out_of_range_is_refused_with_the_range(parent, tmp_path, capsys):
    code, _, err = run_cli(capsys, "branch", trajectory_of(parent), "--from-step", 4, "--out", tmp_path / "b")
    assert code == 2 and "--from-step 4 is out of range" in err and "steps 0 to 3" in err
    assert "Traceback" not in err and not (tmp_path / "b").exists()


def test_files_that_cannot_be_branched_say_why(tmp_path, capsys):
    code, out, err = run_cli(capsys, "generate", "--model", "digits-vae", "--seed", 1, "--device", "cpu",
                             "--trajectory", "--out", tmp_path / "vae", "--json", "--no-history")
    assert code == 0, err
    code, _, err = run_cli(capsys, "branch", trajectory_of(json.loads(out)), "--from-step", 0)
    assert code == 2 and "one-pass" in err and "branch a diffusion run" in err
    plain = tmp_path / "plain.png"
    Image.new("L", (8, 8)).save(plain)
    code, _, err = run_cli(capsys, "branch", plain, "--from-step", 0)
    assert code == 2 and "plain.png" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "branch", tmp_path / "missing.trajectory.safetensors", "--from-step", 0)
    assert code == 2 and "no such file" in err
    foreign = tmp_path / "weights.safetensors"
    foreign.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    code, _, err = run_cli(capsys, "branch", foreign, "--from-step", 0)
    assert code == 2 and "weights.safetensors" in err and "Traceback" not in err


def recorded(recipe: Recipe) -> Trajectory:
    trajectory = Trajectory()
    shape = (recipe.batch, 4, 4, 1)
    frame = np.zeros(shape, np.uint8)
    trajectory.record(Started(recipe, 2, shape[1:], "cpu", "float32", recipe.model))
    trajectory.record(Step(0, 2, 900.0, 3.0, frame, frame, frame, elapsed_s=0.0))
    trajectory.record(Finished(recipe, frame, 0.1))
    return trajectory


def test_a_database_from_before_branches_opens_and_links_parents(isolated_user_data):
    path = isolated_user_data / "history.sqlite3"
    path.parent.mkdir(parents=True)
    old = sqlite3.connect(path, isolation_level=None)
    assert migrate(old, target=2) == 2
    root = Recipe(model="digits", family="diffusion", sampler="ddim", steps=2, seed=9)
    old.execute("INSERT INTO runs (created_at, recipe_json, model, sampler, family, model_hash, device, duration_s, "
                "outcome, thumbnail) VALUES (5.0, ?, 'digits', 'ddim', 'diffusion', NULL, 'cpu', 2.0, 'finished', NULL)",
                (root.to_json(),))
    old.close()
    from engine.history.recording import record_run

    with History() as history:
        (before,) = history.list_runs()
        assert (before.parent_id, before.from_step) == (None, None)
        branch = root.replace(guidance=5.0, branch=Branch(root, 1))
        branch_id = record_run(history, recorded(branch))  # its parent found by the parent's recipe
        record = history.get_run(branch_id)
        assert (record.parent_id, record.from_step) == (before.id, 1)
        kept = isolated_user_data / "root.trajectory.safetensors"
        twin = history.add_run(recorded(root), trajectory_path=kept, created_at=1.0)  # the same recipe, older
        assert history.find_parent(branch, kept) == twin  # the file it was branched from decides
        assert history.find_parent(branch) == before.id  # else the newest run of the parent's recipe
        history.delete(twin)
        orphan = Recipe(model="digits", family="diffusion", sampler="ddim", steps=3, seed=9)
        orphan_id = record_run(history, recorded(orphan.replace(branch=Branch(orphan, 0))))
        assert history.get_run(orphan_id).parent_id is None  # a parent never recorded: none, and no error
        history.delete(before.id)
        assert history.get_run(branch_id).parent_id is None  # the branch stays; its recipe still names the parent
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 3
