"""`noisescope analyze FILE --out DIR`: the Plots panel's read-outs as PNG and CSV without a window, and a
guided run's guidance views; clear refusals for what cannot be analyzed."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import Recipe
from engine.cli.main import main
from engine.export.grid import default_scale, make_grid, upscale
from engine.export.plan import file_stem
from engine.export.png import RECIPE_KEY
from engine.export.trajectory_file import save_trajectory
from engine.run_analysis import analyze
from engine.trajectory import GUIDED_VIEWS, Trajectory
from tests.engine.helpers import events_of


def recorded_file(folder: Path, name: str, recipe: Recipe) -> tuple[Path, Trajectory]:
    trajectory = Trajectory()
    for event in events_of(recipe):
        trajectory.record(event)
    return save_trajectory(trajectory, folder / f"{name}.trajectory.safetensors"), trajectory


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_models):
    folder = tmp_path_factory.mktemp("runs")
    model = str(tiny_models["diffusion"])
    return {
        "guided": recorded_file(folder, "guided", Recipe(model=model, device="cpu", steps=4, batch=2, label="2",
                                                          guidance=3.0, sampler="ddim")),
        "plain": recorded_file(folder, "plain", Recipe(model=model, device="cpu", steps=3)),
        "vae": recorded_file(folder, "vae", Recipe(model=str(tiny_models["vae"]), device="cpu")),
    }


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def rows(path: str) -> list[list[str]]:
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_a_guided_run_gets_its_plots_data_and_guidance_views(capsys, runs, tmp_path):
    path, trajectory = runs["guided"]
    code, out, err = cli(capsys, "analyze", path, "--out", tmp_path, "--json")
    assert code == 0, err
    summary = json.loads(out)
    stem = file_stem(trajectory) + "-"
    files = {Path(f).name.removeprefix(stem): f for f in summary["files"]}
    assert summary["guided"] and set(files) == {
        "schedule.csv", "schedule.png", "schedule-signal.png", "convergence.csv", "convergence.png", "settled.csv",
        "settled.png", *(f"{view}-step4.png" for view in GUIDED_VIEWS)}
    expected = analyze(trajectory)
    schedule = rows(files["schedule.csv"])
    assert schedule[0] == ["step", "sigma", "signal"] and [int(r[0]) for r in schedule[1:]] == [1, 2, 3, 4]
    np.testing.assert_allclose([float(r[1]) for r in schedule[1:]], [s.sigma for s in trajectory.steps], rtol=1e-5)
    convergence = rows(files["convergence.csv"])
    assert convergence[1][2] == ""  # no change before the first step
    np.testing.assert_allclose([float(r[1]) for r in convergence[1:]], expected.to_final, rtol=1e-5)
    settled = rows(files["settled.csv"])
    assert len(settled) == 1 + expected.settled.step.size
    assert [int(r[3]) for r in settled[1:]] == expected.settled.step.reshape(-1).tolist()
    for name in ("schedule.png", "convergence.png", "settled.png"):
        with Image.open(files[name]) as image:
            assert RECIPE_KEY in image.info and np.asarray(image).std() > 0  # a drawn chart, the recipe inside
    frames = trajectory.steps[-1].noise_guidance
    grid = make_grid(frames)
    with Image.open(files["noise_guidance-step4.png"]) as image:
        shown = np.asarray(image)
    np.testing.assert_array_equal(shown, upscale(grid, default_scale(*grid.shape[:2]))[..., 0])


def test_step_chooses_the_guidance_views_and_an_unguided_run_has_none(capsys, runs, tmp_path):
    code, out, err = cli(capsys, "analyze", runs["guided"][0], "--out", tmp_path / "g", "--step", 0)
    assert code == 0, err
    assert sum("-step1.png" in line for line in out.split()) == 3
    code, out, err = cli(capsys, "analyze", runs["plain"][0], "--out", tmp_path / "p")
    assert code == 0, err
    assert not any("noise_" in line for line in out.split()) and len(out.split()) == 7


@pytest.mark.parametrize(("which", "extra", "says"), [
    ("guided", ["--step", 9], "--step 9 is out of range: the run has steps 0 to 3"),
    ("vae", [], "one-pass run (VAE or GAN)"),
    ("guided", ["--tolerance", -1], "--tolerance is in levels of 0-255"),
    ("text", [], "not a trajectory file"),
])
def test_what_cannot_be_analyzed_is_one_line(capsys, runs, tmp_path, which, extra, says):
    path = runs[which][0] if which in runs else tmp_path / "notes.txt"
    if which == "text":
        path.write_text("hello")
    code, _, err = cli(capsys, "analyze", path, "--out", tmp_path / "out", *extra)
    assert code == 2 and says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
