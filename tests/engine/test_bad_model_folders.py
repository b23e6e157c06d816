"""One bad model folder never stops everything (issue 12): wrong types, FIFOs, huge sizes, bad keywords
and weights outside the folder are each one "skipped" line, and every other model still lists and runs."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from engine import Recipe
from engine.cli.main import main
from engine.models.catalog import discover_models
from tests.engine.helpers import failure_of, finished_images


def _bad_copy(source: Path, folder: Path, edit) -> Path:
    shutil.copytree(source, folder)
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    config["name"] = folder.name
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def _set(**values):
    return lambda config: config.update(values)


def _set_arch(**values):
    return lambda config: config["architecture_config"].update(values)


# folder name -> (tiny model it is copied from, the edit, what its line must say)
BAD = {
    "height-word": ("diffusion", _set(height="big"), "height must be a whole number"),
    "height-null": ("diffusion", _set(height=None), "height must be a whole number"),
    "channels-list": ("vae", _set(channels=[1]), "channels must be a whole number"),
    "classes-1e9": ("diffusion", _set_arch(num_class_embeds=1e9), "num_class_embeds"),
    "classes-int-huge": ("diffusion", _set_arch(num_class_embeds=10**9), "num_class_embeds"),
    "sample-30000": ("diffusion", _set_arch(sample_size=30000), "sample_size"),
    "vae-keyword": ("vae", _set_arch(colour=3), "colour"),
    "gan-keyword": ("gan", _set_arch(depth="deep"), "depth"),
    "weights-outside": ("vae", _set(weights="../outside.safetensors"), "inside the model folder"),
    "weights-absolute": ("vae", _set(weights="/etc/passwd"), "inside the model folder"),
    "labels-number": ("gan", _set(labels=7), "labels must be a list"),
    "channels-disagree": ("diffusion", _set(channels=7), "channels is 7 but architecture_config's in_channels"),
    "width-not-halvable": ("diffusion", _set(width=7), "width 7 cannot be halved"),
    "latent-disagree": ("gan", _set(latent_dim=7), "latent_dim is 7 but architecture_config's latent_dim"),
    "scheduler-spacing": ("diffusion", lambda c: c["scheduler"].update(timestep_spacing=3), "timestep_spacing"),
}


@pytest.fixture
def user_models(isolated_user_data, tiny_models):
    models = isolated_user_data / "models"
    shutil.copytree(tiny_models["gan"], models / "good-gan")
    for name, (source, edit, _) in BAD.items():
        _bad_copy(tiny_models[source], models / name, edit)
    fifo = shutil.copytree(tiny_models["vae"], models / "fifo-weights")
    (fifo / "model.safetensors").unlink()
    os.mkfifo(fifo / "model.safetensors")
    yield models
    _release(fifo / "model.safetensors")


def _release(fifo: Path) -> None:
    """If a reader is stuck opening the FIFO (the bug), open its other end so the thread can finish."""
    with contextlib.suppress(OSError):  # nobody is waiting on it: the fix works
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def _listed_within(seconds: float):
    result: dict = {}

    def listing():
        problems: list[str] = []
        result["models"] = discover_models(problems=problems)
        result["problems"] = problems

    worker = threading.Thread(target=listing, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"listing the models hung for more than {seconds} s"
    return result["models"], result["problems"]


def test_every_bad_folder_is_one_line_and_the_good_model_still_lists(user_models):
    models, problems = _listed_within(20)
    assert [m.name for m in models if m.origin == "user"] == ["tiny-gan"]
    for name, (_, _, says) in {**BAD, "fifo-weights": (None, None, "not a regular file")}.items():
        lines = [p for p in problems if str(user_models / name) in p]
        assert len(lines) == 1, f"{name}: {problems}"
        assert says in lines[0], lines[0]


def test_the_models_command_names_each_skipped_folder(user_models, capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "tiny-gan" in out
    skipped = [line for line in out.splitlines() if line.startswith("skipped: ")]
    assert len(skipped) == len(BAD) + 1


def test_generate_on_another_model_still_works(user_models):
    images = finished_images(Recipe(model="tiny-gan", sampler="none", batch=1, label="3"))
    assert images.shape[0] == 1


def test_the_window_engine_starts_with_the_good_model(user_models):
    pytest.importorskip("PySide6")
    import torch

    from gui.engine_adapter import EngineAdapter

    threads = torch.get_num_threads()
    try:
        catalog = EngineAdapter()._catalog()
    finally:
        torch.set_num_threads(threads)  # the adapter sets the process's count; later tests expect theirs
    assert "tiny-gan" in [m.name for m in catalog.models]
    assert len([p for p in catalog.problems if str(user_models) in p]) == len(BAD) + 1


def test_huge_sizes_are_refused_before_anything_is_allocated(tiny_models, tmp_path):
    import resource

    folder = _bad_copy(tiny_models["diffusion"], tmp_path / "huge", _set_arch(num_class_embeds=10**9))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    failure = failure_of(Recipe(model=str(folder), label="1"))
    assert failure.kind == "model_load" and "num_class_embeds" in failure.message
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: nothing big was built


def test_a_bad_architecture_keyword_is_a_message_at_load(tiny_models, tmp_path):
    folder = _bad_copy(tiny_models["vae"], tmp_path / "kw", _set_arch(colour=3))
    failure = failure_of(Recipe(model=str(folder), sampler="none"))
    assert failure.kind == "model_load"
    assert "colour" in failure.message and "ConvVAE" in failure.message


def test_the_torch_free_keyword_lists_match_the_constructors():
    import inspect

    from engine.models.architectures.checks import KEYWORDS
    from engine.models.architectures.gan import DCGANGenerator
    from engine.models.architectures.vae import ConvVAE

    for name, cls in (("ConvVAE", ConvVAE), ("DCGANGenerator", DCGANGenerator)):
        assert KEYWORDS[name] == tuple(inspect.signature(cls).parameters)


def test_a_describe_that_raises_a_plain_error_is_still_one_line(tmp_path):
    from engine.models.catalog import Catalog

    root = tmp_path / "models"
    (root / "odd").mkdir(parents=True)

    def describe(folder, origin):
        raise TypeError("int() argument must be a string")

    problems: list[str] = []
    assert Catalog(roots=lambda: [(root, "user")], describe=describe).models(problems=problems) == []
    assert len(problems) == 1 and str(root / "odd") in problems[0] and "TypeError" in problems[0]


@pytest.mark.parametrize("dtype", ["int8", "bool", "uint8"])
def test_int8_and_bool_weights_are_refused(tiny_models, tmp_path, dtype):
    import torch
    from safetensors.torch import load_file, save_file

    folder = shutil.copytree(tiny_models["vae"], tmp_path / f"weights-{dtype}")
    state = load_file(str(folder / "model.safetensors"))
    first = next(name for name, tensor in state.items() if tensor.is_floating_point())
    state[first] = state[first].to(getattr(torch, dtype))
    save_file(state, str(folder / "model.safetensors"))
    failure = failure_of(Recipe(model=str(folder), sampler="none"))
    assert failure.kind == "model_load"
    assert f"holds {dtype} values" in failure.message and first in failure.message
