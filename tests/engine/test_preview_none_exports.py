"""`generate --preview none` on a latent model records no steps: the exports made of steps are refused
before the run (one line: why, and what to do), never a failed export after it; a pixel model, which
--preview does not concern, still writes its trajectory."""

from __future__ import annotations

import pytest

from engine.cli.main import main
from engine.export.trajectory_file import load_trajectory
from tests.engine.tiny_sd import tiny_sd_folder


@pytest.fixture(scope="module")
def sd(tmp_path_factory):
    return tiny_sd_folder(tmp_path_factory.mktemp("tiny-sd"))


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("exports", "named"), [(["--trajectory"], "trajectory"),
                                                (["--animation", "gif", "--sheet"], "gif, sheet")])
def test_steps_exports_of_a_latent_run_without_previews_are_refused_before_it(capsys, sd, tmp_path, exports, named):
    code, _, err = cli(capsys, "generate", "--model", sd, "--prompt", "a cat", "--width", 32, "--height", 32,
                       "--steps", 2, "--preview", "none", "--no-history", "--out", tmp_path / "out", *exports)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"--preview none records no steps (no previews, no latents), so there is nothing for {named}" in err
    assert "use --preview approx" in err
    assert not (tmp_path / "out").exists()  # refused before the run: nothing written


def test_a_pixel_model_writes_its_trajectory_whatever_the_preview_says(capsys, tiny_models, tmp_path):
    code, out, err = cli(capsys, "generate", "--model", tiny_models["diffusion"], "--steps", 2, "--device", "cpu",
                         "--preview", "none", "--trajectory", "--no-history", "--out", tmp_path)
    assert code == 0, err
    path = next(p for p in out.split() if p.endswith(".safetensors"))
    assert len(load_trajectory(path)) == 2
