"""`branch --remaining N`: the step count is chosen so that the branch takes exactly N steps after its
branch point (engine/remaining_steps.py), the smallest such count, and the recipe keeps it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import Recipe
from engine.branch import Branch
from engine.cli.main import main
from engine.course import Course
from engine.errors import InvalidRecipe
from engine.export.trajectory_file import load_trajectory
from engine.model_cache import ModelCache
from engine.models.catalog import find_model
from engine.remaining_steps import steps_for_remaining
from engine.samplers import SAMPLERS

PARENT = Recipe(model="digits-diffusion", device="cpu", sampler="dpmpp_2m", steps=10, seed=3, label="4")


@pytest.fixture(scope="module")
def digits():
    info = find_model("digits-diffusion")
    model = ModelCache().get(info, *_cpu())
    return info, model.scheduler_config


def _cpu():
    import torch

    return torch.device("cpu"), torch.float32


def remaining_after(branch: Recipe, config, info) -> int:
    return Course(branch, config, info.name, _cpu()[0], lambda r: r.check_against_model(info)).total - \
        branch.branch.from_step


@pytest.mark.parametrize("sampler", list(SAMPLERS))
def test_the_step_count_found_leaves_exactly_n_steps_and_is_the_smallest(digits, sampler):
    info, config = digits
    parent = PARENT.check_against_model(info)
    for from_step, remaining in ((2, 3), (6, 5), (0, 4)):
        branch = parent.replace(sampler=sampler, branch=Branch(parent, from_step))
        found = steps_for_remaining(branch, remaining, config, info.name, lambda r: r.check_against_model(info))
        got = remaining_after(branch.replace(steps=found.steps), config, info)
        assert got == found.remaining
        smaller = [remaining_after(branch.replace(steps=s), config, info) for s in range(1, found.steps)]
        if found.exact:
            assert got == remaining and remaining not in smaller
        else:  # Heun evaluates twice a step: no count hits some N; the nearest above it is taken
            assert sampler == "heun" and got > remaining and remaining not in smaller
            assert all(count != remaining for count in (remaining_after(branch.replace(steps=s), config, info)
                                                        for s in range(found.steps, found.steps + 6)))


def test_remaining_is_refused_where_it_means_nothing(digits):
    info, config = digits
    with pytest.raises(InvalidRecipe, match="plain run has --steps"):
        steps_for_remaining(PARENT, 3, config, info.name)
    branch = PARENT.replace(branch=Branch(PARENT, 2))
    with pytest.raises(InvalidRecipe, match="1 or more"):
        steps_for_remaining(branch, 0, config, info.name)
    with pytest.raises(InvalidRecipe, match="no step count leaves 5000 steps after step 2"):
        steps_for_remaining(branch, 5000, config, info.name, lambda r: r.check_against_model(info))


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_branch_takes_n_more_steps_and_its_recipe_keeps_the_step_count(tmp_path, capsys):
    code, out, err = run_cli(capsys, "generate", "--model", "digits-diffusion", "--label", 4, "--steps", 6,
                             "--sampler", "dpmpp_2m", "--seed", 3, "--device", "cpu", "--trajectory",
                             "--out", tmp_path / "parent", "--json")
    assert code == 0, err
    parent = next(Path(e["path"]) for e in json.loads(out)["exports"] if e["kind"] == "trajectory")
    code, out, err = run_cli(capsys, "branch", parent, "--from-step", 2, "--sampler", "euler", "--remaining", 7,
                             "--trajectory", "--out", tmp_path / "branch", "--json")
    assert code == 0, err
    summary = json.loads(out)
    steps = summary["recipe"]["steps"]
    assert f"--remaining 7: {steps} steps leave 7 after step 2" in err and "steps 6 -> " in err
    branch = load_trajectory(next(Path(e["path"]) for e in summary["exports"] if e["kind"] == "trajectory"))
    assert [s.index for s in branch.steps] == list(range(9)) and branch.total_steps == 9

    code, _, err = run_cli(capsys, "branch", parent, "--from-step", 2, "--steps", 9, "--remaining", 7,
                           "--out", tmp_path / "no")
    assert code == 2 and "give --steps or --remaining, not both" in err
    code, _, err = run_cli(capsys, "branch", parent, "--from-step", 2, "--remaining", 0, "--out", tmp_path / "no")
    assert code == 2 and "--remaining must be 1 or more" in err and "Traceback" not in err
