"""The trainers on tiny settings: they run, write loadable models, resume exactly; the data split."""

from __future__ import annotations

import errno
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from safetensors.torch import load_file

from engine import Failed, Finished, Recipe, run
from engine.atomic import explain_os_error
from engine.cli.main import main
from engine.errors import ExportError
from engine.model_cache import ModelCache
from engine.models import find_model
from engine.training.checkpoint import load_checkpoint
from engine.training.data import default_data_path, load_digits, split, split_indices
from engine.training.gan import GANTrainer
from engine.training.nearest import two_nearest

TINY = {"diffusion": "8,8,16", "vae": "8,16", "gan": "16,8"}


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """40 fake 28x28 digits (4 per class): blobs at a class-dependent place, so not pure noise."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10, dtype=np.uint8), 4)
    images = np.zeros((40, 28, 28), np.uint8)
    for index, label in enumerate(labels):
        top, left = 4 + label, 4 + (index % 4) * 3
        images[index, top:top + 8, left:left + 6] = rng.integers(128, 256, (8, 6))
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    np.savez_compressed(path, images=images, labels=labels)
    return path


def train(family: str, data: Path, tmp: Path, *extra: str) -> int:
    return main(["train", family, "--data", str(data), "--batch", "4", "--widths", TINY[family], "--device", "cpu",
                 "--quiet", "--checkpoint-dir", str(tmp / "checkpoints"), "--out", str(tmp / "model"), *extra])


def sample(folder: Path, family: str) -> np.ndarray:
    label = "3"  # the VAE too: its fitted latent prior has the digits' classes
    recipe = Recipe(model=str(folder), steps=2, batch=2, label=label, device="cpu")
    events = list(run(recipe, cache=ModelCache(), previews=False))
    assert not isinstance(events[-1], Failed), events[-1]
    assert isinstance(events[-1], Finished)
    return events[-1].images


@pytest.mark.parametrize("family", ["diffusion", "vae", "gan"])
def test_trainer_writes_a_model_engine_run_samples_from(family, tiny_data, tmp_path, capsys):
    assert train(family, tiny_data, tmp_path, "--steps", "3", "--sample-every", "0") == 0
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["family"] == family and config["training"]["steps"] == 3
    assert config["training"]["arguments"]["command"].startswith(f"noisescope train {family} --steps 3")
    assert {"description", "data", "licence"} <= set(config)
    if family == "vae":  # exported with a latent prior fitted to its training digits (20: half held out)
        assert config["latent_prior"] == "class_gaussians" and config["labels"] == [str(c) for c in range(10)]
        assert config["training"]["latent_prior"]["images"] == 20
        assert {"latent_prior.means", "latent_prior.scale_tril", "latent_prior.weights"} <= set(
            load_file(str(tmp_path / "model" / "model.safetensors")))
    images = sample(tmp_path / "model", family)
    assert images.shape == (2, 32, 32, 1) and images.dtype == np.uint8
    assert (tmp_path / "checkpoints" / f"digits-{family}-latest.pt").is_file()


@pytest.mark.parametrize("family", ["diffusion", "vae", "gan"])
def test_resume_continues_exactly_where_training_stopped(family, tiny_data, tmp_path):
    straight, first, resumed = tmp_path / "straight", tmp_path / "first", tmp_path / "resumed"
    assert train(family, tiny_data, straight, "--steps", "4", "--sample-every", "0") == 0
    assert train(family, tiny_data, first, "--steps", "2", "--sample-every", "0") == 0
    checkpoint = first / "checkpoints" / f"digits-{family}-latest.pt"
    assert train(family, tiny_data, resumed, "--steps", "4", "--sample-every", "0", "--resume", str(checkpoint)) == 0
    config = json.loads((resumed / "model" / "config.json").read_text())
    assert config["training"]["steps"] == 4
    expected = load_file(str(straight / "model" / "model.safetensors"))
    got = load_file(str(resumed / "model" / "model.safetensors"))
    assert expected.keys() == got.keys()
    for key in expected:
        assert np.array_equal(expected[key].float().numpy(), got[key].float().numpy()), key


def test_a_resumed_run_keeps_the_name_it_was_started_with(tiny_data, tmp_path):
    first, resumed = tmp_path / "first", tmp_path / "resumed"
    assert train("gan", tiny_data, first, "--steps", "1", "--sample-every", "0", "--name", "my-gan") == 0
    checkpoint = first / "checkpoints" / "my-gan-latest.pt"
    assert checkpoint.is_file()
    assert train("gan", tiny_data, resumed, "--steps", "2", "--sample-every", "1", "--resume", str(checkpoint)) == 0
    config = json.loads((resumed / "model" / "config.json").read_text())
    assert config["name"] == "my-gan" and "--name my-gan" in config["training"]["arguments"]["command"]
    assert sorted(p.name for p in (resumed / "checkpoints").iterdir()) == ["my-gan-latest.pt", "my-gan-step000002.png"]
    # --name still wins on resume (renaming a run), and the default name is not repeated in the command.
    assert train("gan", tiny_data, tmp_path / "renamed", "--steps", "2", "--sample-every", "0", "--resume",
                 str(checkpoint), "--name", "digits-gan") == 0
    config = json.loads((tmp_path / "renamed" / "model" / "config.json").read_text())
    assert config["name"] == "digits-gan" and "--name" not in config["training"]["arguments"]["command"]


def test_minutes_stops_early_and_leaves_a_model_and_a_checkpoint_to_resume(tiny_data, tmp_path, capsys):
    assert train("gan", tiny_data, tmp_path, "--steps", "1000", "--sample-every", "0", "--minutes", "0.0001") == 0
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert 1 <= config["training"]["steps"] < 1000  # the time ran out long before the steps
    checkpoint = tmp_path / "checkpoints" / "digits-gan-latest.pt"
    assert f"carry on with --resume {checkpoint}" in capsys.readouterr().out
    assert train("gan", tiny_data, tmp_path / "on", "--steps", str(config["training"]["steps"] + 2),
                 "--sample-every", "0", "--resume", str(checkpoint)) == 0
    assert json.loads((tmp_path / "on" / "model" / "config.json").read_text())["training"]["steps"] == (
        config["training"]["steps"] + 2)


def signal_after_steps(monkeypatch, number: int, *steps: int) -> None:
    """The GAN trainer sends this process `number` right after each of `steps`, as a user's Ctrl-C would."""
    original = GANTrainer.train_step

    def step_then_signal(self):
        losses = original(self)
        if self.step in steps:
            os.kill(os.getpid(), number)
        return losses

    monkeypatch.setattr(GANTrainer, "train_step", step_then_signal)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_after_the_step_with_a_model_and_a_checkpoint(number, tiny_data, tmp_path, monkeypatch,
                                                                   capsys):
    signal_after_steps(monkeypatch, number, 3)
    handler_before = signal.getsignal(number)
    assert train("gan", tiny_data, tmp_path, "--steps", "1000", "--sample-every", "0") == 0
    assert json.loads((tmp_path / "model" / "config.json").read_text())["training"]["steps"] == 3
    checkpoint = tmp_path / "checkpoints" / "digits-gan-latest.pt"
    assert load_checkpoint(checkpoint)["step"] == 3  # none of the run is lost
    out, err = capsys.readouterr()
    name = signal.Signals(number).name
    assert f"stopped on {name} at step 3 of 1000; carry on with --resume {checkpoint}" in out
    assert f"{name}: stopping after this step" in err
    assert signal.getsignal(number) is handler_before  # the process's own handling is back


def test_a_second_ctrl_c_while_the_checkpoint_is_written_quits_at_once(tiny_data, tmp_path, monkeypatch, capsys):
    signal_after_steps(monkeypatch, signal.SIGINT, 1)
    original = GANTrainer.state_dict

    def impatient_state_dict(self):
        state = original(self)
        os.kill(os.getpid(), signal.SIGINT)
        return state

    monkeypatch.setattr(GANTrainer, "state_dict", impatient_state_dict)
    assert train("gan", tiny_data, tmp_path, "--steps", "1000", "--sample-every", "0") == 130
    assert "interrupted" in capsys.readouterr().err
    assert list((tmp_path / "checkpoints").glob("*.pt*")) == []  # quit before writing: no half-written file
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_last_line_says_how_to_use_the_model(tiny_data, tmp_path, capsys):
    assert train("gan", tiny_data, tmp_path, "--steps", "1", "--sample-every", "0") == 0
    model = tmp_path / "model"
    assert (f"`noisescope generate --model {model}` uses it; for the studio to list it, add {tmp_path} under "
            "File > Models folders") in capsys.readouterr().out
    # the default --out: the user's models folder, which the studio lists
    assert main(["train", "gan", "--data", str(tiny_data), "--batch", "4", "--widths", TINY["gan"], "--device",
                 "cpu", "--quiet", "--steps", "1", "--sample-every", "0", "--name", "my-gan",
                 "--checkpoint-dir", str(tmp_path / "checkpoints")]) == 0
    out = capsys.readouterr().out
    assert "the studio lists it as my-gan, and `noisescope generate --model my-gan` uses it" in out
    assert find_model("my-gan").origin == "user"


def disk_full(path: Path) -> ExportError:
    return ExportError(explain_os_error(OSError(errno.ENOSPC, "No space left on device"), path))


def test_a_full_disk_mid_run_is_said_once_and_training_goes_on(tiny_data, tmp_path, monkeypatch, capsys):
    from engine.training import loop
    from engine.training.loss_log import LossLog

    real_checkpoint, real_add, failures = loop.save_checkpoint, LossLog.add, []

    def checkpoint_on_a_full_disk(path, **state):
        if state["step"] < 4:  # the disk is full until the run's end has made room
            failures.append(state["step"])
            raise disk_full(path)
        return real_checkpoint(path, **state)

    def log_on_a_full_disk(self, step, losses, elapsed_s):
        real_add(self, step, losses, elapsed_s)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(loop, "save_checkpoint", checkpoint_on_a_full_disk)
    monkeypatch.setattr(loop.LossLog, "add", log_on_a_full_disk)
    assert train("gan", tiny_data, tmp_path, "--steps", "4", "--sample-every", "0", "--checkpoint-every", "0") == 0
    assert failures == [1, 2, 3]  # tried every time (--checkpoint-every 0), said once
    err = capsys.readouterr().err
    assert err.count("the checkpoint not written: cannot write digits-gan-latest.pt: the disk holding") == 1
    assert err.count("the loss log not written: cannot write digits-gan-losses.csv") == 1
    assert "training goes on (the last one written stays whole)" in err
    assert load_checkpoint(tmp_path / "checkpoints" / "digits-gan-latest.pt")["step"] == 4
    assert json.loads((tmp_path / "model" / "config.json").read_text())["training"]["steps"] == 4


def test_a_full_disk_at_the_end_says_what_is_left_in_one_line(tiny_data, tmp_path, monkeypatch, capsys):
    from engine.training import loop

    monkeypatch.setattr(loop, "save_checkpoint", lambda path, **state: (_ for _ in ()).throw(disk_full(path)))
    assert train("gan", tiny_data, tmp_path, "--steps", "2", "--sample-every", "0") == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("noisescope: error: cannot write digits-gan-latest.pt: the disk holding")
    assert err.endswith("Training stopped at step 2") and not (tmp_path / "model").exists()

    monkeypatch.undo()  # a checkpoint is written; then the model cannot be
    assert train("gan", tiny_data, tmp_path, "--steps", "2", "--sample-every", "0") == 0
    monkeypatch.setattr(loop, "save_bundled", lambda folder, *_, **__: (_ for _ in ()).throw(disk_full(folder)))
    assert train("gan", tiny_data, tmp_path, "--steps", "3", "--sample-every", "0",
                 "--resume", str(tmp_path / "checkpoints" / "digits-gan-latest.pt")) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.endswith(f"Training stopped at step 3; carry on from the last checkpoint written whole with --resume "
                        f"{tmp_path / 'checkpoints' / 'digits-gan-latest.pt'} (--export-only writes just the model)")


def test_a_checkpoint_on_a_full_disk_is_an_export_error_naming_it(tmp_path, monkeypatch):
    """torch.save straight into the file raised its zip writer's RuntimeError on a full disk (found on a
    300 kB tmpfs); the checkpoint is serialised in memory, so the disk's own error reaches the message."""
    import torch

    from engine.training.checkpoint import save_checkpoint

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(ExportError, match="cannot write latest.pt: the disk holding .* is full"):
        save_checkpoint(tmp_path / "latest.pt", family="gan", step=1, settings={}, trainer_state={},
                        generator=torch.Generator(), elapsed_s=0.0)
    assert list(tmp_path.iterdir()) == []  # no temporary left behind


def test_out_of_memory_says_what_to_lower_and_keeps_the_model(tiny_data, tmp_path, monkeypatch, capsys):
    import torch

    original = GANTrainer.train_step

    def step_until_memory_runs_out(self):
        if self.step == 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return original(self)

    monkeypatch.setattr(GANTrainer, "train_step", step_until_memory_runs_out)
    assert train("gan", tiny_data, tmp_path, "--steps", "5", "--sample-every", "0") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"noisescope: error: out of memory on cpu at step 3: a smaller --batch (now 4) or --widths (now "
                   f"{TINY['gan']}) needs less; to keep what was learned, start from the model exported at step 2 "
                   f"with --init {tmp_path / 'model'}"]
    assert json.loads((tmp_path / "model" / "config.json").read_text())["training"]["steps"] == 2


def test_export_only_writes_the_model_of_a_checkpoint(tiny_data, tmp_path):
    assert train("vae", tiny_data, tmp_path, "--steps", "2", "--sample-every", "0") == 0
    checkpoint = tmp_path / "checkpoints" / "digits-vae-latest.pt"
    again = tmp_path / "again"
    assert main(["train", "vae", "--resume", str(checkpoint), "--export-only", "--quiet", "--out", str(again)]) == 0
    assert load_file(str(again / "model.safetensors")).keys() == load_file(
        str(tmp_path / "model" / "model.safetensors")).keys()


def test_sample_grids_are_written(tiny_data, tmp_path):
    assert train("gan", tiny_data, tmp_path, "--steps", "2", "--sample-every", "1") == 0
    grids = sorted(p.name for p in (tmp_path / "checkpoints").glob("*.png"))
    assert grids == ["digits-gan-step000001.png", "digits-gan-step000002.png"]


@pytest.mark.parametrize("arguments", [
    ["train", "vae", "--steps", "0"],
    ["train", "gan", "--widths", "8,x"],
    ["train", "diffusion", "--export-only"],
    ["train", "vae", "--resume", "/nonexistent/checkpoint.pt"],
    ["train", "vae", "--device", "tpu"],
    ["train", "gan", "--minutes", "0"],
    ["train", "gan", "--minutes", "nan"],
])
def test_bad_input_exits_2_with_one_line(arguments, capsys):
    assert main(arguments) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_wrong_family_checkpoint_is_refused(tiny_data, tmp_path, capsys):
    assert train("vae", tiny_data, tmp_path, "--steps", "1", "--sample-every", "0") == 0
    checkpoint = tmp_path / "checkpoints" / "digits-vae-latest.pt"
    assert main(["train", "gan", "--resume", str(checkpoint), "--quiet"]) == 2


def test_split_is_deterministic_and_disjoint():
    labels = np.repeat(np.arange(10), 300)
    train_a, held_a = split_indices(labels)
    train_b, held_b = split_indices(labels.copy())
    assert np.array_equal(train_a, train_b) and np.array_equal(held_a, held_b)
    assert not set(train_a) & set(held_a) and len(train_a) + len(held_a) == len(labels)
    assert np.bincount(labels[held_a]).tolist() == [100] * 10


@pytest.mark.skipif(not default_data_path().is_file(), reason="bundled digits data not built")
def test_bundled_digits_split_holds_out_100_per_class():
    digits = load_digits()
    train_set, held_out = split(digits)
    assert digits.images.shape[1:] == (28, 28) and len(digits.images) == 10000
    assert np.bincount(held_out.labels, minlength=10).tolist() == [100] * 10
    assert len(train_set.images) == 9000


def test_evaluation_flags_copies_of_training_images(tiny_data):
    from engine.training.classifier import DigitClassifier
    from engine.training.evaluate import figures, reference

    train_set, held_out = split(load_digits(tiny_data))
    classifier = DigitClassifier(width=4).eval()
    real = reference(classifier, train_set, held_out)
    assert len(real["copies_lines"]) == 10 and 0 <= real["copies"] <= 1
    copied = figures(train_set.images[:10], classifier, train_set, copies_lines=real["copies_lines"])
    assert copied["nearest_train_median"] == 0 and copied["copies"] == 1.0
    assert sum(copied["histogram"]) == 10 and 0 <= copied["confident"] <= 1
    assert copied["memorised"] == 1.0  # each is nearer one training image than any other, by far


def _bars_and_blobs():
    """Training digits where real 1s lie near each other (a bar, shifted a pixel at a time) and real 0s
    far apart (random blobs): the 1s' copies line is far below the 0s'."""
    from engine.training.data import Digits

    bar = np.zeros((28, 28), np.uint8)
    bar[4:24, 13:15] = 255
    ones = [np.roll(bar, shift, axis=1) for shift in range(-6, 7)]
    zeros = list(np.random.default_rng(0).integers(0, 256, (13, 28, 28), dtype=np.uint8))
    return Digits(np.stack(ones + zeros), np.array([1] * 13 + [0] * 13)), bar


def test_copies_lines_are_per_class():
    from engine.training.evaluate import class_copies_lines

    train_set, _ = _bars_and_blobs()
    lines = class_copies_lines(train_set)
    assert lines[1] == pytest.approx(np.sqrt(2 * 20), abs=0.01)  # a one-pixel shift: 2 columns of 20 pixels differ
    assert lines[0] > 1.5 * lines[1]  # random blobs: about 11 apart
    assert lines[2:] == [0.0] * 8  # no training 2s to 9s: nothing counts as a copy of them


@pytest.mark.parametrize(("classified_as", "copy"), [(0, True), (1, False)])
def test_a_sample_is_a_copy_by_the_line_of_the_class_it_is_classified_as(monkeypatch, classified_as, copy):
    from engine.training import evaluate
    from engine.training.classifier import DigitClassifier

    train_set, bar = _bars_and_blobs()
    lines = evaluate.class_copies_lines(train_set)
    sample = np.roll(bar, 9, axis=1)  # three pixels beyond the last training 1: between the 1s' line and the 0s'
    nearest = two_nearest(sample[None], train_set.images)[0][0, 0]
    assert lines[1] < nearest < lines[0]
    probabilities = np.eye(10, dtype=np.float32)[[classified_as]]
    monkeypatch.setattr(evaluate, "predict", lambda classifier, images: probabilities)
    result = evaluate.figures(sample[None], DigitClassifier(width=4).eval(), train_set, copies_lines=lines)
    assert result["copies"] == (1.0 if copy else 0.0)


def test_memorised_asks_for_one_training_image_far_nearer_than_the_rest():
    from engine.training.classifier import DigitClassifier
    from engine.training.data import Digits
    from engine.training.evaluate import figures

    bar = np.zeros((28, 28), np.uint8)
    bar[4:24, 13:15] = 255  # a plain 1
    shifted = np.roll(bar, 1, axis=1)
    train_set = Digits(np.stack([bar, shifted, np.full((28, 28), 255, np.uint8)]), np.array([1, 1, 8]))
    near_two = ((bar.astype(np.uint16) + shifted) // 2).astype(np.uint8)  # halfway between the two training 1s
    one_copy = bar.copy()
    one_copy[0, 0] = 40  # all but the same as the first, far from the second
    result = figures(np.stack([near_two, one_copy]), DigitClassifier(width=4).eval(), train_set)
    assert result["memorised"] == 0.5


def test_evaluate_command_prints_figures(tiny_data, tmp_path, capsys):
    from engine.training.classifier import DigitClassifier, save_classifier

    assert train("vae", tiny_data, tmp_path, "--steps", "1", "--sample-every", "0",
                 "--name", "a-vae-with-a-name-longer-than-the-column") == 0
    classifier = save_classifier(DigitClassifier(width=4).eval(), tmp_path / "classifier.safetensors")
    capsys.readouterr()
    command = ["evaluate", str(tmp_path / "model"), "--count", "10", "--data", str(tiny_data),
               "--classifier", str(classifier)]
    assert main([*command, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["family"] == "vae" and result["unconditional"]["samples"] == 10
    assert result["real_reference"]["samples"] == 20

    assert main(command) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    column_end = header.index("samples") + len("samples")
    name = "a-vae-with-a-name-longer-than-the-column"
    assert [row.split()[0] for row in rows] == ["real", name, name, "standard"]  # no label, label asked, plain VAE
    assert [row[column_end - 2:column_end] for row in rows] == ["20", "10", "10", "10"]  # the counts line up
