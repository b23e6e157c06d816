"""The command line: listings, headless generation, and one clean line for every mistake."""

import json
import subprocess
import sys

import pytest
from PIL import Image

from engine.cli.main import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_json_lists_family_size_and_labels(capsys, tiny_models):
    code, out, _ = run_cli(capsys, "models", "--json", "--model-path", str(tiny_models["gan"]),
                           "--model", str(tiny_models["diffusers"]))
    assert code == 0
    models = {m["name"]: m for m in json.loads(out)["models"]}
    gan = models["tiny-gan"]
    assert (gan["family"], gan["height"], gan["width"], gan["channels"]) == ("gan", 8, 8, 1)
    assert gan["conditioning"] == "class labels" and gan["labels"][:3] == ["0", "1", "2"]
    assert gan["origin"] == "path" and gan["source"] == str(tiny_models["gan"])
    assert models["tiny-ddpm"]["conditioning"] == "none"


def test_samplers_json_names_the_diffusers_scheduler(capsys):
    code, out, _ = run_cli(capsys, "samplers", "--json")
    samplers = {s["id"]: s for s in json.loads(out)["samplers"]}
    assert code == 0
    assert set(samplers) >= {"ddpm", "ddim", "dpmpp_2m", "euler", "euler_a", "heun", "unipc"}
    assert samplers["dpmpp_2m"]["scheduler"] == "DPMSolverMultistepScheduler"
    assert samplers["ddim"]["uses_eta"] and not samplers["euler"]["uses_eta"]


def test_samplers_lists_the_schedule_types_each_sampler_takes(capsys):
    code, out, _ = run_cli(capsys, "samplers", "--json")
    listing = json.loads(out)
    samplers = {s["id"]: s for s in listing["samplers"]}
    assert {s["id"] for s in listing["schedules"]} >= {"default", "karras", "exponential"}
    assert "karras" in samplers["dpmpp_2m"]["schedules"] and "karras" not in samplers["ddim"]["schedules"]


def test_generate_writes_one_png_per_sample_with_its_recipe(capsys, tiny_models, tmp_path):
    code, out, _ = run_cli(capsys, "generate", "--model", str(tiny_models["diffusion"]), "--steps", "3",
                           "--batch", "2", "--seed", "9", "--label", "4", "--guidance", "2", "--out",
                           str(tmp_path), "--json", "--device", "cpu")
    assert code == 0
    summary = json.loads(out)
    assert len(summary["images"]) == 2 and summary["recipe"]["seed"] == 9
    second = Image.open(summary["images"][1])
    assert second.size == (8, 8)
    assert "Seed: 10" in second.text["parameters"] and "Steps: 3" in second.text["parameters"]
    assert json.loads(second.text["noisescope_recipe"])["conditioning"] == {"kind": "class", "label": "4"}


def test_generate_prints_paths_by_default(capsys, tiny_models, tmp_path):
    code, out, _ = run_cli(capsys, "generate", "--model", str(tiny_models["vae"]), "--out", str(tmp_path))
    assert code == 0
    assert out.strip().endswith(".png") and (tmp_path / out.strip().split("/")[-1]).is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "nope"], "no model named 'nope'; available:"),
    (["--sampler", "plms"], "unknown sampler 'plms'; known samplers:"),
    (["--steps", "0"], "steps must be between 1 and 1000, not 0"),
    (["--batch", "100000"], "batch must be between 1 and 256"),
    (["--label", "x"], "has no label 'x'; its labels are 0, 1,"),
    (["--eta", "0.3"], "eta only applies to DDIM"),
    (["--device", "cuda:7"], "device cuda"),
    (["--steps", "ten"], "steps must be a whole number, not 'ten'"),
    (["--sampler", "ddim", "--schedule", "karras"], "Karras does not apply to DDIM; samplers that take it:"),
    (["--schedule", "beta"], "unknown schedule type 'beta'"),
])
def test_mistakes_exit_2_with_one_line(capsys, tiny_models, tmp_path, args, message):
    argv = ["generate", "--model", str(tiny_models["diffusion"]), "--steps", "2", "--out", str(tmp_path), *args]
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(tmp_path.glob("*.png"))


def test_the_installed_entry_point_exits_2_without_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gui.launcher", "generate", "--model", str(tmp_path / "missing")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("noisescope: error:") and "Traceback" not in result.stderr


def test_another_recipe_with_the_same_seed_never_overwrites_a_picture(capsys, tiny_models, tmp_path):
    common = ["generate", "--model", str(tiny_models["diffusion"]), "--steps", "2", "--seed", "5",
              "--out", str(tmp_path), "--no-history"]
    first = run_cli(capsys, *common, "--label", "3")[1].strip()
    second = run_cli(capsys, *common, "--label", "4")[1].strip()
    again = run_cli(capsys, *common, "--label", "3")[1].strip()
    assert first != second and first == again
    assert len(list(tmp_path.glob("*.png"))) == 2


def test_schedule_flag_is_written_to_the_png_and_shown(capsys, tiny_models, tmp_path):
    code, out, _ = run_cli(capsys, "generate", "--model", str(tiny_models["diffusion"]), "--steps", "2", "--seed", "3",
                           "--sampler", "euler", "--schedule", "karras", "--out", str(tmp_path), "--json",
                           "--device", "cpu", "--no-history")
    assert code == 0
    summary = json.loads(out)
    assert summary["recipe"]["schedule"] == "karras"
    with Image.open(summary["images"][0]) as image:
        assert "Sampler: Euler, Schedule type: Karras," in image.text["parameters"]
    code, out, _ = run_cli(capsys, "show", summary["images"][0])
    lines = out.splitlines()
    assert code == 0 and any(line.split() == ["Schedule", "type", "Karras"] for line in lines)  # labels padded
    labels = [line.split("  ")[1] for line in lines[1:] if line.startswith("  ") and "not restored" not in line]
    assert labels[:6] == ["Model", "Family", "Conditioning", "Sampler", "Schedule type", "Steps"]  # the table's order
    code, out, _ = run_cli(capsys, "show", summary["images"][0], "--json")
    assert json.loads(out)["recipe"]["schedule"] == "karras"
