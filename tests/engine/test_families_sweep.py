"""The families side by side is a sweep over `model` with the label fixed: the VAE, which has
no class labels, runs unconditional (with a note) instead of failing the sweep."""

from __future__ import annotations

import json

from engine.recipe import Recipe
from engine.sweep.axes import parse_axis
from engine.sweep.plan import fit_labels, make_plan
from tests.engine.test_cli import run_cli


def test_a_model_sweep_runs_the_vae_unconditional_and_says_so(capsys, tiny_models, tmp_path):
    models = ",".join(str(tiny_models[family]) for family in ("diffusion", "vae", "gan"))
    code, out, err = run_cli(capsys, "sweep", "--x", "seed=1,2", "--y", f"model={models}", "--label", "3",
                             "--steps", "2", "--device", "cpu", "--out", str(tmp_path), "--json", "--no-history")
    assert code == 0, err
    assert "note: tiny-vae has no class labels: its cells draw any digit, unconditionally" in err
    cells = json.loads(out)["cells"]
    assert [(cell["at"], cell["recipe"]["family"], cell["recipe"]["conditioning"]["kind"]) for cell in cells] == [
        ([0, 0], "diffusion", "class"), ([1, 0], "diffusion", "class"), ([0, 1], "vae", "none"),
        ([1, 1], "vae", "none"), ([0, 2], "gan", "class"), ([1, 2], "gan", "class")]
    # the VAE cell is what `generate` makes for the VAE without a label
    code, made, _ = run_cli(capsys, "generate", "--model", str(tiny_models["vae"]), "--seed", "2", "--device", "cpu",
                            "--json", "--no-history", "--out", str(tmp_path / "one"))
    assert code == 0
    with open(cells[3]["images"][0], "rb") as cell, open(json.loads(made)["images"][0], "rb") as single:
        assert cell.read() == single.read()


def test_the_label_still_fails_when_the_model_is_not_swept(capsys, tiny_models, tmp_path):
    code, _, err = run_cli(capsys, "sweep", "--model", str(tiny_models["vae"]), "--label", "3", "--x", "seed=1,2",
                           "--out", str(tmp_path))
    assert code == 2 and "has no class labels" in err
    plan = make_plan(Recipe(model=str(tiny_models["vae"]), label="3"), [parse_axis("seed=1,2")])
    assert fit_labels(plan) == (plan, ())
