"""The command line for latent models: `generate --preview/--taesd` (how steps are previewed, never the
image made) and `decode` (a step of a trajectory file through the model's VAE, no UNet), with one
clear line and exit code 2 for every mistake; and the engine's decode the window's worker calls.
Tiny random SD folders; nothing is fetched."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from engine import Recipe
from engine.cli.main import main
from engine.export.restore import read_recipe
from engine.export.trajectory_file import load_trajectory
from engine.latent_previews import decode_step
from engine.models.catalog import find_model
from engine.models.registry import load_model
from engine.preview_modes import PreviewMode, PreviewSettings, preview_settings
from tests.engine.test_latent_previews import tiny_taesd_folder
from tests.engine.tiny_sd import tiny_sd_folder

HEIGHT, WIDTH = 32, 48


@pytest.fixture(scope="module")
def sd(tmp_path_factory):
    return tiny_sd_folder(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture(scope="module")
def taesd(tmp_path_factory):
    return tiny_taesd_folder(tmp_path_factory.mktemp("taesd") / "taesd")


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def generate(capsys, sd, out, *extra, batch=1):
    code, printed, err = cli(capsys, "generate", "--model", sd, "--prompt", "a cat", "--width", WIDTH, "--height",
                             HEIGHT, "--steps", 3, "--seed", 5, "--batch", batch, "--device", "cpu", "--out", out,
                             "--no-history", *extra)
    assert code == 0, err
    return [p for p in printed.split() if p]


def trajectory_of(capsys, sd, out, *extra, batch=1):
    written = generate(capsys, sd, out, "--trajectory", *extra, batch=batch)
    return next(p for p in written if p.endswith(".trajectory.safetensors"))


def png(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


# -- generate --preview / --taesd -------------------------------------------------------------------------

def test_the_preview_mode_changes_the_steps_shown_never_the_image(capsys, sd, taesd, tmp_path):
    before = preview_settings()
    shapes, finals = {}, {}
    for mode, extra in (("approx", ()), ("vae", ("--preview", "vae")), ("taesd", ("--taesd", taesd))):
        path = trajectory_of(capsys, sd, tmp_path / mode, *extra)
        trajectory = load_trajectory(path)
        shapes[mode] = trajectory.steps[0].x0.shape[1:3]
        finals[mode] = trajectory.final
        assert trajectory.has_latents and len(trajectory) == 3
        assert preview_settings() == before  # the command leaves the process's setting as it found it
    assert shapes == {"approx": (HEIGHT // 8, WIDTH // 8), "vae": (HEIGHT, WIDTH), "taesd": (HEIGHT, WIDTH)}
    vae_steps = load_trajectory(next((tmp_path / "vae").glob("*.safetensors")))
    taesd_steps = load_trajectory(next((tmp_path / "taesd").glob("*.safetensors")))
    assert not np.array_equal(vae_steps.steps[-1].x0, taesd_steps.steps[-1].x0)  # another decoder
    none = generate(capsys, sd, tmp_path / "none", "--preview", "NONE")
    assert np.array_equal(png(next(p for p in none if p.endswith(".png"))), finals["approx"][0])
    assert all(np.array_equal(finals[m], finals["approx"]) for m in finals)


@pytest.mark.parametrize(("extra", "says"), [
    (["--preview", "fast"], "--preview 'fast' is not one of approx, taesd, vae, none"),
    (["--preview", "taesd"], "--preview taesd needs --taesd FOLDER"),
    (["--taesd", "{tmp}/missing"], "/missing: no such folder"),
    (["--taesd", "{tmp}"], "no config.json there"),
    (["--preview", "vae", "--taesd", "{tmp}"], "--taesd applies to --preview taesd, not --preview vae"),
])
def test_preview_mistakes_exit_2_with_one_line_before_the_run(capsys, tiny_models, tmp_path, extra, says):
    extra = [e.replace("{tmp}", str(tmp_path)) for e in extra]
    code, _, err = cli(capsys, "generate", "--model", tiny_models["diffusion"], "--steps", 2, "--out",
                       tmp_path / "out", *extra)
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert preview_settings() == PreviewSettings(PreviewMode.APPROX)


# -- decode -------------------------------------------------------------------------------------------------

def test_decode_writes_the_vae_decode_of_a_step_with_the_recipe(capsys, sd, tmp_path):
    path = trajectory_of(capsys, sd, tmp_path)
    code, out, err = cli(capsys, "decode", path, "--step", 2, "--out", tmp_path / "step2.png")
    assert code == 0, err
    assert out.strip() == str(tmp_path / "step2.png")
    trajectory = load_trajectory(path)
    expected = decode_step(trajectory, 1, load_model(find_model(str(sd)), torch.device("cpu"), torch.float32))
    assert np.array_equal(png(tmp_path / "step2.png"), expected[0])
    assert np.abs(png(tmp_path / "step2.png").astype(int) - trajectory.final[0]).max() > 0  # step 2, not the end
    text = Image.open(tmp_path / "step2.png").text
    assert Recipe.from_json(text["noisescope_recipe"]) == trajectory.recipe  # drop it on the window: the run's recipe
    assert text["parameters"].startswith("a cat\n") and "Seed: 5" in text["parameters"]
    assert read_recipe(tmp_path / "step2.png").source == "noisescope"

    code, out, _ = cli(capsys, "decode", path)  # the last step by default, named after the file
    written = out.strip()
    assert code == 0 and written.endswith("-step3-vae.png") and "trajectory" not in written.rsplit("/", 1)[-1]
    last = decode_step(trajectory, 2, load_model(find_model(str(sd)), torch.device("cpu"), torch.float32))
    assert np.array_equal(png(written), last[0])


def test_decode_of_a_batch_is_its_grid(capsys, sd, tmp_path):
    path = trajectory_of(capsys, sd, tmp_path, batch=2)
    code, out, err = cli(capsys, "decode", path, "--step", 1, "--model", sd, "--out", tmp_path / "grid.png")
    assert code == 0, err
    grid = png(tmp_path / "grid.png")
    assert grid.shape[0] == HEIGHT and grid.shape[1] > 2 * WIDTH - 1  # two samples side by side


def test_decode_mistakes_exit_2_with_one_line(capsys, sd, tiny_models, tmp_path):
    path = trajectory_of(capsys, sd, tmp_path)
    pixel_run = next(p for p in generate_pixels(capsys, tiny_models, tmp_path) if p.endswith(".safetensors"))
    for argv, says in (
        ([path, "--step", 9], "step 9 is not recorded; the recorded steps are 1, 2, 3"),
        ([path, "--model", "no-such-model"], "decoding needs the VAE of the model, 'no-such-model', which is not"),
        ([path, "--model", tiny_models["diffusion"]], "has no VAE (it makes pixels, not latents)"),
        ([path, "--out", tmp_path / "x.jpg"], "the decode is written as PNG"),
        ([path, "--device", "warp"], "device 'warp' is not one of auto, cpu"),
        ([tmp_path / "none.trajectory.safetensors"], "none.trajectory.safetensors"),
        ([pixel_run], "this step kept no latents"),
    ):
        code, out, err = cli(capsys, "decode", *argv)
        assert code == 2 and says in err, (argv, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and not out


def generate_pixels(capsys, tiny_models, tmp_path):
    code, out, err = cli(capsys, "generate", "--model", tiny_models["diffusion"], "--steps", 2, "--out",
                         tmp_path / "pixels", "--trajectory", "--no-history")
    assert code == 0, err
    return out.split()


# -- the engine's decode, as the window's worker calls it --------------------------------------------------

def test_decode_recorded_step_maps_failures_to_messages(capsys, sd, tmp_path, monkeypatch):
    import dataclasses

    from engine import step_decode
    from engine.errors import ModelLoadError, OutOfMemory
    from engine.model_cache import ModelCache

    trajectory = load_trajectory(trajectory_of(capsys, sd, tmp_path))
    elsewhere = dataclasses.replace(trajectory.recipe, device="cuda:7")  # recorded on a GPU this machine lacks
    trajectory.recipe = elsewhere
    cache = ModelCache()
    images = step_decode.decode_recorded_step(trajectory, 0, cache=cache)
    assert images.shape == (1, HEIGHT, WIDTH, 3)  # decoded here, on what this machine has
    with pytest.raises(step_decode.InvalidRecipe, match="device cuda"):
        step_decode.decode_recorded_step(trajectory, 0, cache=cache, device="cuda:7")  # asked for: refused

    def out_of_memory(*_):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(step_decode, "decode_step", out_of_memory)
    with pytest.raises(OutOfMemory, match="not enough memory on .* to decode this step with the VAE of tiny-sd"):
        step_decode.decode_recorded_step(trajectory, 0, cache=cache)

    def mismatch(*_):
        raise RuntimeError("expected input to have 4 channels, but got 16 channels instead")

    monkeypatch.setattr(step_decode, "decode_step", mismatch)
    with pytest.raises(ModelLoadError, match="the VAE of tiny-sd cannot decode this run's latents"):
        step_decode.decode_recorded_step(trajectory, 0, cache=cache)
