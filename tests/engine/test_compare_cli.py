"""`noisescope compare` end to end on trajectory files of the bundled digits models: the alignment,
the numbers, the files and every run's recipe read back from each; bad input gets one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import Recipe, run
from engine.compare.difference import difference
from engine.compare.reading import read_comparison
from engine.export.restore import read_recipe
from engine.export.trajectory_file import load_trajectory, save_trajectory
from engine.trajectory import Trajectory
from tests.engine.test_cli_exports import run_cli

DIGITS = {"ddim": ("ddim", 6), "euler": ("euler", 4), "dpm": ("dpmpp_2m", 5)}


def record(recipe: Recipe, path: Path) -> Path:
    trajectory = Trajectory()
    for event in run(recipe):
        trajectory.record(event)
    return save_trajectory(trajectory, path)


@pytest.fixture(scope="module")
def files(tmp_path_factory, tiny_models) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("trajectories")
    made = {name: record(Recipe(model="digits-diffusion", sampler=sampler, steps=steps, seed=5, label="4",
                                batch=2 if name == "ddim" else 1, device="cpu"),
                         folder / f"{name}.trajectory.safetensors") for name, (sampler, steps) in DIGITS.items()}
    made["vae"] = record(Recipe(model="digits-vae", seed=5, device="cpu"), folder / "vae.trajectory.safetensors")
    made["tiny"] = record(Recipe(model=str(tiny_models["diffusion"]), steps=2, device="cpu"),
                          folder / "tiny.trajectory.safetensors")
    return made


def test_three_samplers_compared_in_every_format(files, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "compare", files["ddim"], files["euler"], files["dpm"], "--out", out,
                                *[arg for f in ("gif", "webp", "apng", "mp4", "sheet") for arg in ("--format", f)],
                                "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    trajectories = [load_trajectory(files[name]) for name in DIGITS]
    # positions: every recorded noise level, in order; each run shows a step of its own, never going back
    levels = [p["level"] for p in summary["positions"][:-1]]
    assert levels == sorted(levels, reverse=True) and levels[0] == pytest.approx(trajectories[0].steps[0].sigma)
    assert summary["positions"][-1] == {"level": 0.0, "final": True, "steps": [None] * 3, "shown": ["final"] * 3}
    assert summary["positions"][0]["shown"][1] == f"step 1/4, sigma {trajectories[1].steps[0].sigma:.3g}"
    for index, trajectory in enumerate(trajectories):
        shown = [p["steps"][index] for p in summary["positions"][:-1]]
        assert shown == sorted(shown) and shown[-1] == len(trajectory.steps) - 1
    # the numbers are those of the final images of sample 0
    expected = difference(trajectories[0].final[0], trajectories[2].final[0])
    pair = summary["final_differences"][1]
    assert pair["runs"] == ["A", "C"] and pair["mean_abs"] == pytest.approx(expected.mean_abs, abs=1e-3)
    assert pair["psnr_db"] == pytest.approx(expected.psnr_db, abs=1e-3) and pair["mean_abs"] > 0
    # one file per format, each carrying every run's recipe, and run A's for a reader of one recipe
    names = sorted(Path(path).name for path in summary["files"])
    assert names == [f"comparison-sigma-x0-sample0{suffix}" for suffix in
                     ("-sheet.png", ".apng", ".gif", ".mp4", ".webp")]
    for path in summary["files"]:
        comparison = read_comparison(Path(path))
        assert [r.recipe for r in comparison.runs] == [t.recipe for t in trajectories], path
        assert [r.name for r in comparison.runs] == [f"{name}.trajectory.safetensors" for name in DIGITS]
        assert comparison.align == "sigma" and comparison.differences[1][2] == pytest.approx(expected.mean_abs, 1e-3)
        assert read_recipe(Path(path)).recipe() == trajectories[0].recipe
    with Image.open(out / "comparison-sigma-x0-sample0.gif") as gif:
        assert gif.n_frames == len(summary["positions"])
        gif.seek(gif.n_frames - 1)
        assert gif.info["duration"] == 150 + 2000  # the final images are held


def test_show_lists_every_run_of_a_comparison(files, tmp_path, capsys):
    code, _, err = run_cli(capsys, "compare", files["ddim"], files["euler"], "--out", tmp_path, "--format", "gif")
    assert code == 0, err
    gif = tmp_path / "comparison-sigma-x0-sample0.gif"
    code, out, _ = run_cli(capsys, "show", gif)
    assert code == 0 and out.startswith("comparison-sigma-x0-sample0.gif: Noisescope comparison of 2 runs")
    assert "A: ddim.trajectory.safetensors" in out and "B: euler.trajectory.safetensors" in out
    assert "  Sampler  Euler\n  Steps    4\n" in out  # run B: what it changed from run A
    code, out, _ = run_cli(capsys, "show", gif, "--json")
    shown = json.loads(out)
    assert shown["recipe"]["sampler"] == "ddim" and "this file compares 2 runs" in shown["notes"][0]
    assert [r["recipe"]["sampler"] for r in shown["comparison"]["runs"]] == ["ddim", "euler"]


def test_text_output_by_fraction_names_the_runs_and_the_numbers(files, tmp_path, capsys):
    code, out, err = run_cli(capsys, "compare", files["euler"], files["dpm"], "--out", tmp_path, "--align",
                             "fraction", "--view", "x_t", "--format", "sheet")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "A: euler.trajectory.safetensors: Euler, 4 steps (4 recorded steps)"
    assert lines[1] == "B: dpm.trajectory.safetensors: DPM++ 2M, 5 steps (5 recorded steps)"
    assert lines[2] == "6 positions, aligned by fraction; final x_t, sample 0:"  # 0, .25, .33, .5, .75, 1 merged
    assert lines[3].startswith("  |A-B|: mean |diff| ") and lines[-1].endswith("comparison-fraction-x_t-sample0-sheet.png")
    with Image.open(lines[-1]) as sheet:
        assert json.loads(sheet.text["noisescope_comparison"])["align"] == "fraction"


def test_a_vae_run_beside_diffusion_shows_its_one_image_throughout(files, tmp_path, capsys):
    code, out, err = run_cli(capsys, "compare", files["euler"], files["vae"], "--out", tmp_path, "--format", "gif",
                             "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert [p["steps"][1] for p in summary["positions"]] == [0, 0, 0, 0, None]
    assert summary["positions"][0]["shown"][1] == "one pass"
    assert summary["notes"] == ["vae.trajectory.safetensors is a one-pass vae run: its single image is shown "
                                "throughout"]


def test_bad_input_gets_one_line_and_exit_2(files, tmp_path, capsys):
    png = tmp_path / "picture.png"
    Image.new("L", (4, 4)).save(png)
    weights = Path(__file__).resolve().parents[2] / "assets/models/digits-diffusion/model.safetensors"
    cases = {
        (files["ddim"],): "compare takes 2 to 4 trajectory files, not 1: add 1 more",
        (files["ddim"],) * 5: "compare takes 2 to 4 trajectory files, not 5: leave 1 out",
        (files["ddim"], png): "picture.png is not a trajectory file: compare reads .trajectory.safetensors files",
        (files["ddim"], weights): "a safetensors file, but not a Noisescope trajectory",
        (files["ddim"], files["tiny"]): "the runs' images differ in size (ddim.trajectory.safetensors 32x32, "
                                        "tiny.trajectory.safetensors 8x8): compare runs of one image size",
        (files["ddim"], tmp_path / "gone.trajectory.safetensors"): "gone.trajectory.safetensors: no such file",
    }
    for arguments, message in cases.items():
        code, out, err = run_cli(capsys, "compare", *arguments, "--out", tmp_path / "out")
        assert code == 2 and out == "", (arguments, err)
        assert err.startswith("noisescope: error: ") and message in err and len(err.splitlines()) == 1, err
    code, _, err = run_cli(capsys, "compare", files["ddim"], files["euler"], "--sample", 1, "--out", tmp_path)
    assert code == 2 and "sample 1 is not in every run (the smallest batch has 1)" in err
    assert not (tmp_path / "out").exists()  # nothing written for refused input


def test_a_damaged_comparison_document_is_named(tmp_path, files, capsys):
    run_cli(capsys, "compare", files["ddim"], files["euler"], "--out", tmp_path, "--format", "gif")
    gif = tmp_path / "comparison-sigma-x0-sample0.gif"
    with Image.open(gif) as image:
        frames = [np.asarray(image.convert("RGB"))]
        text = image.info["comment"].decode()
    Image.fromarray(frames[0]).save(gif, comment=text.replace('"noisescope_comparison": 1', '"noisescope_comparison": 9'))
    code, _, err = run_cli(capsys, "show", gif)
    assert code == 2 and "comparison format 9 is not supported" in err and "update Noisescope" in err


def test_a_first_release_trajectory_compares_with_a_new_one(files, tmp_path, capsys):
    v1 = Path(__file__).resolve().parents[1] / "fixtures/v1/labelled-seed1234.trajectory.safetensors"
    code, out, err = run_cli(capsys, "compare", v1, files["euler"], "--out", tmp_path, "--format", "gif", "--json")
    assert code == 0, err
    # the same 4-step schedule: the runs meet at every step
    assert [p["steps"] for p in json.loads(out)["positions"]] == [[0, 0], [1, 1], [2, 2], [3, 3], [None, None]]
