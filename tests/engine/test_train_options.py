"""`noisescope train` options for the VAE and the GAN: --beta, --latent-dim, --class-loss, and --init of a GAN."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from engine.cli.main import main
from tests.engine.test_training import sample, tiny_data, train  # noqa: F401 (tiny_data is a fixture)


def weights(folder) -> dict[str, np.ndarray]:
    return {key: value.float().numpy() for key, value in load_file(str(folder / "model.safetensors")).items()}


def differ(a, b) -> bool:
    return any(not np.array_equal(a[key], b[key]) for key in a)


def test_class_loss_gives_the_discriminator_a_classifier_that_trains_the_generator(tiny_data, tmp_path):  # noqa: F811
    for name, extra in (("plain", []), ("classes", ["--class-loss", "1"])):
        assert train("gan", tiny_data, tmp_path / name, "--steps", "3", "--sample-every", "0", *extra) == 0
    critic = {name: torch.load(tmp_path / name / "checkpoints" / "digits-gan-latest.pt",
                               weights_only=True)["trainer"]["critic"] for name in ("plain", "classes")}
    assert not any(key.startswith("classify.") for key in critic["plain"])
    assert any(key.startswith("classify.") for key in critic["classes"])
    arguments = json.loads((tmp_path / "classes" / "model" / "config.json").read_text())["training"]["arguments"]
    assert arguments["class_loss"] == 1 and "--class-loss 1" in arguments["command"]
    # Same seed, same data: only the classifier loss can make the generators differ.
    assert differ(weights(tmp_path / "plain" / "model"), weights(tmp_path / "classes" / "model"))


def test_beta_weighs_the_kl_term_and_is_recorded(tiny_data, tmp_path):  # noqa: F811
    for name, extra in (("one", []), ("four", ["--beta", "4"])):
        assert train("vae", tiny_data, tmp_path / name, "--steps", "3", "--sample-every", "0", *extra) == 0
    arguments = json.loads((tmp_path / "four" / "model" / "config.json").read_text())["training"]["arguments"]
    assert arguments["beta"] == 4 and "--beta 4" in arguments["command"]
    one = json.loads((tmp_path / "one" / "model" / "config.json").read_text())["training"]["arguments"]
    assert one["beta"] == 1 and "--beta" not in one["command"]
    assert differ(weights(tmp_path / "one" / "model"), weights(tmp_path / "four" / "model"))


def test_latent_dim_sizes_the_vae_and_the_engine_loads_it(tiny_data, tmp_path):  # noqa: F811
    assert train("vae", tiny_data, tmp_path, "--steps", "2", "--sample-every", "0", "--latent-dim", "5") == 0
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["latent_dim"] == config["architecture_config"]["latent_dim"] == 5
    arguments = config["training"]["arguments"]
    assert arguments["latent_dim"] == 5 and "--latent-dim 5" in arguments["command"]
    assert "5-d latent space" in config["description"]
    assert weights(tmp_path / "model")["to_mu.weight"].shape[0] == 5
    images = np.asarray(sample(tmp_path / "model", "vae"))
    assert len(images) == 2 and np.isfinite(images).all()
    # A resumed run keeps the checkpoint's latent size.
    assert train("vae", tiny_data, tmp_path, "--steps", "3", "--sample-every", "0",
                 "--resume", str(tmp_path / "checkpoints" / "digits-vae-latest.pt")) == 0
    assert json.loads((tmp_path / "model" / "config.json").read_text())["latent_dim"] == 5


def test_gan_init_starts_from_the_generator_and_counts_on(tiny_data, tmp_path):  # noqa: F811
    assert train("gan", tiny_data, tmp_path / "start", "--steps", "2", "--sample-every", "0") == 0
    assert train("gan", tiny_data, tmp_path / "on", "--init", str(tmp_path / "start" / "model"), "--steps", "4",
                 "--class-loss", "0.5", "--sample-every", "0") == 0
    config = json.loads((tmp_path / "on" / "model" / "config.json").read_text())
    assert config["training"]["steps"] == 4 and config["training"]["arguments"]["start_step"] == 2
    before, after = weights(tmp_path / "start" / "model"), weights(tmp_path / "on" / "model")
    assert before.keys() == after.keys()
    # The EMA (at its full decay) moves a little from the generator it started from; BatchNorm
    # statistics are recomputed at export, so compare the learned weights only.
    moved = [float(np.abs(after[key] - before[key]).max()) for key in before if "running" not in key
             and "num_batches" not in key]
    assert 0 < max(moved) < 0.05


@pytest.mark.parametrize("extra", [
    ["vae", "--beta", "0"],
    ["vae", "--beta", "nan"],
    ["gan", "--beta", "2"],
    ["gan", "--class-loss", "-1"],
    ["vae", "--class-loss", "1"],
    ["vae", "--beta", "2", "--resume", "CKPT"],
    ["vae", "--latent-dim", "1"],
    ["vae", "--latent-dim", "5000"],
    ["gan", "--latent-dim", "8"],
    ["vae", "--latent-dim", "8", "--resume", "CKPT"],
])
def test_bad_beta_latent_dim_or_class_loss_exits_2_with_one_line(extra, tmp_path, capsys):
    checkpoint = tmp_path / "c.pt"
    checkpoint.write_bytes(b"not read: the options are checked first")
    arguments = ["train", *[str(checkpoint) if word == "CKPT" else word for word in extra], "--quiet"]
    assert main(arguments) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("noisescope: error: --")
