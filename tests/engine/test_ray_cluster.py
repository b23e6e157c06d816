"""Sweeps and evaluations on a local Ray (issue 14): the same cells and grid as the local sweep,
pixel for pixel, and the same evaluation figures; a worker killed mid-sweep loses no cell and
records none twice; without Ray, --ray says how to install it. One local Ray (2 CPU workers)
serves the module: starting one costs seconds."""

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.cli.main import main
from engine.history import History
from engine.sweep.runner import CellDone
from tests.engine.test_cli import run_cli
from tests.engine.test_image_card import colour_model  # noqa: F401 (a fixture)
from tests.engine.test_training import tiny_data  # noqa: F401 (a fixture)

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    from engine.cluster.ray_pool import RayPool

    with RayPool(None, workers=2) as pool:  # the CLI's own way to start a local Ray; later pools join it
        assert pool.started and ray.is_initialized()
        yield pool
    assert not ray.is_initialized()


def _sweep(capsys, tiny_models, out: Path, *flags):
    code, stdout, err = run_cli(capsys, "sweep", "--model", str(tiny_models["diffusion"]), "--label", "4",
                                "--device", "cpu", "--seed", "9", "--x", "seed=1-4", "--y", "steps=2,3", "--group-batch", "2",
                                "--out", str(out), "--json", *flags)
    assert code == 0, err
    assert stdout.startswith("{"), (stdout, err)
    return json.loads(stdout), err


def _pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path))


def _recorded_cells() -> list[tuple[int, int]]:
    with History() as history:
        recipes = [json.loads(run.recipe_json) for run in history.list_runs()]
    return sorted((recipe["seed"], recipe["steps"]) for recipe in recipes)


def test_a_sweep_on_two_ray_workers_equals_the_local_sweep(capsys, tiny_models, tmp_path, local_ray):
    local, _ = _sweep(capsys, tiny_models, tmp_path / "local", "--no-history")
    remote, err = _sweep(capsys, tiny_models, tmp_path / "ray", "--ray", "--ray-workers", "2")
    assert "8/8 cells done, 0 running, 0 waiting on 2 Ray worker(s)" in err
    for here, there in zip(local["cells"], remote["cells"], strict=True):
        assert here["recipe"] == there["recipe"] and Path(here["images"][0]).name == Path(there["images"][0]).name
        assert np.array_equal(_pixels(here["images"][0]), _pixels(there["images"][0]))
        assert Image.open(here["images"][0]).text == Image.open(there["images"][0]).text
    assert np.array_equal(_pixels(local["grid"]), _pixels(remote["grid"]))
    assert Image.open(local["grid"]).text == Image.open(remote["grid"]).text
    assert _recorded_cells() == sorted((seed, steps) for steps in (2, 3) for seed in range(1, 5))
    assert len(set(remote["run_ids"])) == 8


@pytest.mark.parametrize("restart", [True, False], ids=["restarted", "gone"])
def test_a_worker_killed_mid_sweep_has_its_cells_run_again_none_lost_or_twice(capsys, tiny_models, tmp_path,
                                                                           monkeypatch, local_ray, restart):
    import engine.cluster.ray_sweep as ray_sweep

    real, killed = ray_sweep.run_sweep_on_ray, []

    def killing_a_worker_after_the_first_cell(plan, pool, *args, **kwargs):
        for item in real(plan, pool, *args, **kwargs):
            yield item
            if isinstance(item, CellDone) and not killed:
                victim = pool.actors[0]
                killed.append(ray.get(victim.pid.remote()))
                ray.kill(victim, no_restart=not restart)  # restart: Ray retries its calls; gone: sent elsewhere
                killed.append(_pid_after_the_kill(victim, killed[0]))

    monkeypatch.setattr(ray_sweep, "run_sweep_on_ray", killing_a_worker_after_the_first_cell)
    summary, err = _sweep(capsys, tiny_models, tmp_path, "--ray", "--ray-workers", "2", "--group-batch", "1")
    if restart:
        assert killed[1] not in (killed[0], None, "gone")  # the process died and Ray started another
    else:
        assert killed[1] == "gone"
    assert "8/8 cells done, 0 running, 0 waiting" in err and ("on 1 Ray worker" in err) is not restart
    assert _recorded_cells() == sorted((seed, steps) for steps in (2, 3) for seed in range(1, 5))
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        [Path(cell["images"][0]).name for cell in summary["cells"]] + [Path(summary["grid"]).name])


def test_ctrl_c_on_ray_stops_the_outstanding_cells_and_keeps_those_written(capsys, tiny_models, tmp_path,
                                                                           monkeypatch, local_ray):
    import engine.cluster.ray_sweep as ray_sweep

    real, workers = ray_sweep.run_sweep_on_ray, []

    def interrupted_after_one_cell(plan, pool, *args, **kwargs):
        for item in real(plan, pool, *args, **kwargs):
            yield item
            if isinstance(item, CellDone):
                workers.extend(pool.actors)
                raise KeyboardInterrupt

    monkeypatch.setattr(ray_sweep, "run_sweep_on_ray", interrupted_after_one_cell)
    code, out, err = run_cli(capsys, "sweep", "--model", str(tiny_models["diffusion"]), "--device", "cpu",
                             "--x", "steps=1-8", "--out", str(tmp_path), "--no-history", "--ray", "--ray-workers", "2")
    assert code == 130 and out == ""
    assert f"interrupted after 1 of 8 cells; their PNGs are in {tmp_path}" in err
    assert len(list(tmp_path.glob("*.png"))) == 1  # that cell only, no grid
    for worker in workers:  # ended, with whatever they were running
        assert _pid_after_the_kill(worker, -1) == "gone"


def _pid_after_the_kill(actor, pid: int, wait_s: float = 60):
    """The actor's new process id once the kill has taken effect, or "gone" when it is not restarted."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            now = ray.get(actor.pid.remote())
        except ray.exceptions.RayActorError:
            return "gone"
        if now != pid:
            return now
        time.sleep(0.05)  # ray.kill is asynchronous: the old process may answer once more
    return None


def test_ray_flag_without_ray_installed_says_how_to_install_it(capsys, tiny_models, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as where it is missing
    code, out, err = run_cli(capsys, "sweep", "--model", str(tiny_models["diffusion"]), "--x", "steps=1,2",
                             "--out", str(tmp_path), "--ray")
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.strip() == ('noisescope: error: --ray needs Ray, which is not installed: pip install -e ".[cluster]" '
                           'in the Noisescope folder (or pip install "ray>=2.9,<3")')
    assert not list(tmp_path.iterdir())
    code, _, err = run_cli(capsys, "sweep", "--model", str(tiny_models["diffusion"]), "--x", "steps=1",
                           "--device", "cpu", "--out", str(tmp_path), "--no-history")
    assert code == 0, err  # everything else works without Ray
    code, _, err = run_cli(capsys, "sweep", "--model", str(tiny_models["diffusion"]), "--x", "steps=1",
                           "--out", str(tmp_path), "--ray-workers", "2")
    assert code == 2 and err.strip() == "noisescope: error: --ray-workers needs --ray"


def test_an_evaluation_on_ray_gives_the_figures_of_the_local_one(capsys, tmp_path, local_ray, tiny_data):  # noqa: F811
    from engine.training.classifier import DigitClassifier, save_classifier

    classifier = save_classifier(DigitClassifier(width=4).eval(), tmp_path / "classifier.safetensors")
    flags = ["evaluate", "digits-gan", "--count", "40", "--data", str(tiny_data), "--classifier", str(classifier),
             "--json"]
    results = []
    for extra in ([], ["--ray", "--ray-workers", "2"]):  # on Ray: 8 runs of 5 samples, then a run per label
        assert main(flags + extra) == 0
        results.append(json.loads(capsys.readouterr().out))
    assert results[0] == results[1] and results[1]["conditional"]["samples"] == 40


def test_a_colour_models_copies_measured_on_ray_are_those_of_the_local_run(capsys, local_ray, colour_model):  # noqa: F811
    flags = ["evaluate", str(colour_model), "--count", "20", "--steps", "2", "--json"]
    results = []
    for extra in ([], ["--ray", "--ray-workers", "2"]):
        assert main(flags + extra) == 0
        results.append(json.loads(capsys.readouterr().out)["originality"])
    assert results[0] == results[1] and results[1]["conditional"]["samples"] == 20
