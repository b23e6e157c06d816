"""The CLI: generate with exports and history, show a file's recipe, list the history."""

import json
import re
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from engine.cli.main import main


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def generated(tiny_models, tmp_path, capsys):
    code, out, err = run_cli(capsys, "generate", "--model", tiny_models["diffusion"], "--steps", 3, "--batch", 2,
                             "--seed", 11, "--device", "cpu", "--animation", "gif", "--sheet", "--trajectory",
                             "--grid", "--out", tmp_path / "out", "--json")
    assert code == 0, err
    return json.loads(out)


def test_generate_writes_every_export_and_records_the_run(generated, tmp_path, capsys):
    kinds = sorted(e["kind"] for e in generated["exports"])
    assert kinds == ["gif", "grid", "png", "png", "sheet", "trajectory"]
    for export in generated["exports"]:
        assert export["path"].startswith(str(tmp_path / "out")) and Path(export["path"]).is_file()
    gif = next(e["path"] for e in generated["exports"] if e["kind"] == "gif")
    with Image.open(gif) as image:
        assert image.n_frames >= 2 and json.loads(image.info["comment"])["seed"] == 11
    assert len(generated["model_hash"]) == 10

    code, out, _ = run_cli(capsys, "history", "--json")
    assert code == 0
    (run,) = json.loads(out)["runs"]
    assert run["id"] == generated["run_id"] and run["model"] == "tiny-diffusion" and run["outcome"] == "finished"
    assert run["recipe"]["seed"] == 11 and run["model_hash"] == generated["model_hash"]
    assert run["trajectory_path"].endswith(".trajectory.safetensors")
    assert sorted(e["kind"] for e in run["exports"]) == kinds and run["thumbnail_bytes"] > 0

    assert json.loads(run_cli(capsys, "history", "--json", "--model", "other")[1])["runs"] == []
    assert json.loads(run_cli(capsys, "history", "--json", "--starred")[1])["runs"] == []
    code, out, _ = run_cli(capsys, "history")
    assert code == 0 and "tiny-diffusion" in out and "dpmpp_2m" in out


def test_show_reads_pngs_and_trajectory_files(generated, capsys):
    png = generated["images"][1]
    code, out, _ = run_cli(capsys, "show", png, "--json")
    shown = json.loads(out)
    assert code == 0 and shown["source"] == "noisescope" and shown["recipe"] == {
        k: v for k, v in generated["recipe"].items() if k != "noisescope_recipe"}
    trajectory = next(e["path"] for e in generated["exports"] if e["kind"] == "trajectory")
    code, out, _ = run_cli(capsys, "show", trajectory)
    assert code == 0 and "Noisescope recipe" in out and re.search(r"(?im)^\s+seed\s+11$", out)


def test_show_an_a1111_png(tmp_path, capsys):
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 3, "
                                "Model: sd15, Clip skip: 2")
    Image.new("RGB", (4, 4)).save(tmp_path / "cat.png", pnginfo=info)
    code, out, _ = run_cli(capsys, "show", tmp_path / "cat.png")
    assert code == 0 and "A1111 parameters" in out and re.search(r"(?im)^\s+sampler\s+euler$", out)
    assert "not restored: Clip skip: 2" in out and "a cat (negative: dog)" in out  # issue 9: the prompt restores


def test_errors_are_one_line_and_exit_2(tiny_models, tmp_path, capsys):
    code, _, err = run_cli(capsys, "show", tmp_path / "missing.png")
    assert code == 2 and err.strip() == f"noisescope: error: {tmp_path / 'missing.png'}: no such file"
    code, _, err = run_cli(capsys, "generate", "--model", tiny_models["diffusion"], "--steps", 2, "--frame-ms", 1,
                           "--animation", "gif", "--out", tmp_path)
    assert code == 2 and "frame duration" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # refused before running, nothing written
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "--animation", "avi"])
    assert exit_info.value.code == 2


def test_no_history_flag(tiny_models, tmp_path, capsys):
    code, out, err = run_cli(capsys, "generate", "--model", tiny_models["vae"], "--device", "cpu", "--out", tmp_path,
                             "--no-history", "--json")
    assert code == 0, err
    assert json.loads(out)["run_id"] is None
    assert json.loads(run_cli(capsys, "history", "--json")[1])["runs"] == []


def test_history_from_a_newer_noisescope_is_one_line(isolated_user_data, capsys):
    import sqlite3

    isolated_user_data.mkdir(parents=True)
    sqlite3.connect(isolated_user_data / "history.sqlite3").execute("PRAGMA user_version = 99")
    code, _, err = run_cli(capsys, "history")
    assert code == 2 and "written by a newer Noisescope" in err and len(err.strip().splitlines()) == 1


def test_export_flag_takes_any_registered_format_and_show_reads_it(tiny_models, tmp_path, capsys):
    code, out, err = run_cli(capsys, "generate", "--model", tiny_models["diffusion"], "--steps", 2, "--seed", 5,
                             "--device", "cpu", "--export", "zip", "--export", "grid", "--out", tmp_path, "--json")
    assert code == 0, err
    exports = {e["kind"]: e["path"] for e in json.loads(out)["exports"]}
    assert sorted(exports) == ["grid", "png", "zip"] and exports["zip"].endswith("-steps-grid.zip")
    code, out, _ = run_cli(capsys, "show", exports["zip"], "--json")
    assert code == 0 and json.loads(out)["recipe"]["seed"] == 5
    (run,) = json.loads(run_cli(capsys, "history", "--json")[1])["runs"]
    assert sorted(e["kind"] for e in run["exports"]) == ["grid", "png", "zip"]
    assert run["trajectory_path"]  # no trajectory exported: the history kept the steps itself
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "--export", "tiff"])
    assert exit_info.value.code == 2
