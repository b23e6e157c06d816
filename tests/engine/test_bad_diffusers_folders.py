"""Diffusers folders get the checks our own format has (issue 12): wrong types, huge sizes, FIFOs and
links to them, schedulers and decoders we cannot run are each one line naming the folder, in bounded
time, while every other model lists and runs; fp16-variant and sharded weights load."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from engine import Recipe
from engine.models.catalog import describe_folder, discover_models
from tests.engine.helpers import failure_of, finished_images
from tests.engine.tiny_sd import tiny_sd_folder


def _edit(folder: Path, name: str, **values) -> None:
    data = json.loads((folder / name).read_text())
    data.update(values)
    (folder / name).write_text(json.dumps(data))


def _fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


UNET = "unet/config.json"
WEIGHTS = "unet/diffusion_pytorch_model.safetensors"
SCHEDULER = "scheduler/scheduler_config.json"
# folder name -> (how it is broken, what its one line must say)
BAD = {
    "size-word": (lambda f: _edit(f, UNET, sample_size="big"), "sample_size must be a whole number"),
    "channels-null": (lambda f: _edit(f, UNET, in_channels=None), "in_channels must be a whole number"),
    "classes-1e9": (lambda f: _edit(f, UNET, num_class_embeds=1e9), "num_class_embeds"),
    "classes-int-huge": (lambda f: _edit(f, UNET, num_class_embeds=10**9), "num_class_embeds"),
    "sample-30000": (lambda f: _edit(f, UNET, sample_size=30000), "sample_size = 30000"),
    "widths-word": (lambda f: _edit(f, UNET, block_out_channels="wide"), "block_out_channels"),
    "learned-variance": (lambda f: _edit(f, UNET, out_channels=2), "learned variance"),
    "class-embed-type": (lambda f: _edit(f, UNET, class_embed_type="timestep"), "class_embed_type 'timestep'"),
    # Values that passed the constructor and failed inside the first step (found by a fuzzer of folders):
    "groups-negative": (lambda f: _edit(f, UNET, attn_norm_num_groups=-1), "attn_norm_num_groups must be"),
    "time-embedding-list": (lambda f: _edit(f, UNET, time_embedding_type=[1]), "time_embedding_type must be text"),
    "scale-word": (lambda f: _edit(f, UNET, mid_block_scale_factor="x"), "mid_block_scale_factor must be a number"),
    "padding-3": (lambda f: _edit(f, UNET, downsample_padding=3), "downsample_padding must be 0 or 1"),
    "sample-not-halvable": (lambda f: _edit(f, UNET, sample_size=9), "multiple of 2"),
    "beta-schedule-number": (lambda f: _edit(f, SCHEDULER, beta_schedule=10**30), "beta_schedule"),
    "spacing-word": (lambda f: _edit(f, SCHEDULER, timestep_spacing="DownBlock2D"), "timestep_spacing"),
    "timesteps-negative": (lambda f: _edit(f, SCHEDULER, num_train_timesteps=-10**30), "num_train_timesteps"),
    "betas-nested": (lambda f: _edit(f, SCHEDULER, trained_betas=[[1]]), "trained_betas"),
    "fifo-weights": (lambda f: _fifo(f / WEIGHTS), "not a regular file"),
    "fifo-config": (lambda f: _fifo(f / UNET), "not a regular file"),
    "fifo-index": (lambda f: _fifo(f / "model_index.json"), "not a regular file"),
    "consistency-scheduler": (lambda f: _edit(f, "model_index.json", scheduler=["diffusers", "CMStochasticIterativeScheduler"]),
                              "CMStochasticIterativeScheduler"),
    "score-sde-scheduler": (lambda f: _edit(f, "model_index.json", scheduler=["diffusers", "ScoreSdeVeScheduler"]),
                            "ScoreSdeVeScheduler"),
    "prediction-flow": (lambda f: _edit(f, SCHEDULER, prediction_type="flow"), "prediction_type"),
    "ldm-vqvae": (lambda f: _edit(f, "model_index.json", vqvae=["diffusers", "VQModel"]), "vqvae"),
}


def _release_fifos(root: Path) -> None:
    """If a reader is stuck opening a FIFO (the bug), open its other end so the thread can finish."""
    for path in root.rglob("*"):
        if path.is_fifo():
            with contextlib.suppress(OSError):  # nobody is waiting on it: the fix works
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


@pytest.fixture
def user_models(isolated_user_data, tiny_models, tmp_path):
    models = isolated_user_data / "models"
    shutil.copytree(tiny_models["diffusers"], models / "good-ddpm")
    for name, (breaks, _) in BAD.items():
        breaks(Path(shutil.copytree(tiny_models["diffusers"], models / name)))
    # A link to a FIFO outside the folder: the link itself is harmless, opening what it points at is not.
    os.mkfifo(tmp_path / "elsewhere.safetensors")
    linked = Path(shutil.copytree(tiny_models["diffusers"], models / "linked-fifo"))
    (linked / WEIGHTS).unlink()
    (linked / WEIGHTS).symlink_to(tmp_path / "elsewhere.safetensors")
    yield models
    _release_fifos(models)
    _release_fifos(tmp_path)


def _within(seconds: float, work):
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(value=work()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"hung for more than {seconds} s"
    return result["value"]


def test_every_bad_diffusers_folder_is_one_line_and_the_good_one_still_runs(user_models):
    problems: list[str] = []
    models = _within(20, lambda: discover_models(problems=problems))
    assert [m.name for m in models if m.origin == "user"] == ["good-ddpm"]
    expected = {**{name: says for name, (_, says) in BAD.items()}, "linked-fifo": "not a regular file"}
    for name, says in expected.items():
        lines = [p for p in problems if str(user_models / name) in p]
        assert len(lines) == 1, f"{name}: {problems}"
        assert says in lines[0], lines[0]
    assert finished_images(Recipe(model="good-ddpm", steps=2, device="cpu")).shape[0] == 1


def test_a_huge_class_table_is_refused_before_anything_is_allocated(tiny_models, tmp_path):
    import resource

    folder = Path(shutil.copytree(tiny_models["diffusers"], tmp_path / "huge"))
    _edit(folder, UNET, num_class_embeds=10**9)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    failure = _within(20, lambda: failure_of(Recipe(model=str(folder), steps=2, device="cpu")))
    assert failure.kind == "model_load" and "num_class_embeds" in failure.message and str(folder) in failure.message
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: nothing big was built


def test_a_config_that_builds_more_than_its_weights_hold_is_refused_at_load(tiny_models, tmp_path):
    folder = Path(shutil.copytree(tiny_models["diffusers"], tmp_path / "wider"))
    _edit(folder, UNET, block_out_channels=[64, 128])
    failure = failure_of(Recipe(model=str(folder), steps=2, device="cpu"))
    assert failure.kind == "model_load" and "do not match the architecture" in failure.message


def test_more_steps_than_the_model_was_trained_with_is_a_recipe_error(tiny_models, tmp_path):
    folder = Path(shutil.copytree(tiny_models["diffusers"], tmp_path / "short"))
    _edit(folder, SCHEDULER, num_train_timesteps=10)
    failure = failure_of(Recipe(model=str(folder), steps=20, device="cpu"))
    assert failure.kind == "invalid_recipe" and "trained with 10 timesteps: use at most 10 steps" in failure.message
    assert finished_images(Recipe(model=str(folder), steps=10, device="cpu")).shape[0] == 1


def _reshard(folder: Path, variant: str | None = None) -> None:
    """The UNet saved again by diffusers itself, as a download may hold it: sharded and/or fp16 variant."""
    from diffusers import UNet2DModel

    unet = UNet2DModel.from_pretrained(folder / "unet")
    shutil.rmtree(folder / "unet")
    unet.save_pretrained(folder / "unet", max_shard_size="10KB", variant=variant)


@pytest.mark.parametrize("variant", [None, "fp16"])
def test_sharded_and_fp16_variant_unet2d_folders_load_and_make_the_same_pixels(tiny_models, tmp_path, variant):
    folder = Path(shutil.copytree(tiny_models["diffusers"], tmp_path / "sharded"))
    _reshard(folder, variant)
    files = sorted(p.name for p in (folder / "unet").iterdir())
    assert len([name for name in files if "-of-" in name]) > 1, files  # really sharded
    assert all(("fp16" in name) == (variant == "fp16") for name in files if name != "config.json")
    info = describe_folder(folder)
    assert info.parameters == describe_folder(tiny_models["diffusers"]).parameters
    recipe = Recipe(model=str(folder), sampler="ddim", steps=3, seed=4, device="cpu")
    original = finished_images(Recipe(model=str(tiny_models["diffusers"]), sampler="ddim", steps=3, seed=4,
                                      device="cpu"))
    assert np.array_equal(finished_images(recipe), original)


def test_a_shard_index_naming_a_file_outside_the_folder_is_refused(tiny_models, tmp_path):
    folder = Path(shutil.copytree(tiny_models["diffusers"], tmp_path / "escape"))
    _reshard(folder)
    index = next((folder / "unet").glob("*.index.json"))
    data = json.loads(index.read_text())
    data["weight_map"] = {key: "../../outside.safetensors" for key in data["weight_map"]}
    index.write_text(json.dumps(data))
    failure = failure_of(Recipe(model=str(folder), steps=2, device="cpu"))
    assert failure.kind == "model_load" and "must be a file in" in failure.message


@pytest.fixture(scope="module")
def sd_folder(tmp_path_factory):
    return tiny_sd_folder(tmp_path_factory.mktemp("tiny-sd-hardening"))


def test_text_to_image_folders_refuse_bad_sizes_and_fifos_in_bounded_time(sd_folder, tmp_path):
    cases = {
        "unet-size-word": (lambda f: _edit(f, UNET, sample_size="big"), "sample_size must be a whole number"),
        "vae-widths-null": (lambda f: _edit(f, "vae/config.json", block_out_channels=None), "block_out_channels"),
        "inpainting-unet": (lambda f: _edit(f, UNET, in_channels=9), "inpainting"),
        "tokenizer-fifo": (lambda f: _fifo(f / "tokenizer" / "vocab.json"), "not a regular file"),
        "text-encoder-fifo": (lambda f: _fifo(f / "text_encoder" / "config.json"), "not a regular file"),
        "scheduler-config-fifo": (lambda f: _fifo(f / "scheduler" / "scheduler_config.json"), "not a regular file"),
        "lcm-scheduler": (lambda f: _edit(f, "model_index.json", scheduler=["diffusers", "LCMScheduler"]),
                          "LCMScheduler"),
    }
    try:
        for name, (breaks, says) in cases.items():
            folder = Path(shutil.copytree(sd_folder, tmp_path / name))
            breaks(folder)
            failure = _within(20, lambda folder=folder: failure_of(Recipe(model=str(folder), prompt="cat", steps=2,
                                                                          device="cpu")))
            assert failure.kind == "model_load" and str(folder) in failure.message, failure.message
            assert says in failure.message, failure.message
    finally:
        _release_fifos(tmp_path)


@pytest.mark.parametrize("variant", [None, "fp16"])
def test_a_text_to_image_folder_with_a_sharded_unet_loads(sd_folder, tmp_path, variant):
    from diffusers import UNet2DConditionModel

    folder = Path(shutil.copytree(sd_folder, tmp_path / "sharded-sd"))
    unet = UNet2DConditionModel.from_pretrained(folder / "unet")
    shutil.rmtree(folder / "unet")
    unet.save_pretrained(folder / "unet", max_shard_size="50KB", variant=variant)
    assert len(list((folder / "unet").glob("*-of-*"))) > 1
    recipe = dict(prompt="a red cat", steps=2, seed=3, width=32, height=32, device="cpu")
    ours = finished_images(Recipe(model=str(folder), **recipe))
    assert np.array_equal(ours, finished_images(Recipe(model=str(sd_folder), **recipe)))


def test_single_files_that_are_fifos_or_links_to_them_never_hang(isolated_user_data, tmp_path):
    models = isolated_user_data / "models"
    models.mkdir(parents=True)
    os.mkfifo(models / "pipe.safetensors")
    os.mkfifo(tmp_path / "outside.ckpt")
    (models / "link.ckpt").symlink_to(tmp_path / "outside.ckpt")
    try:
        names = [m.name for m in _within(20, discover_models) if m.origin == "user"]
        assert names == []
        for path in (models / "pipe.safetensors", models / "link.ckpt"):
            failure = _within(20, lambda path=path: failure_of(Recipe(model=str(path), prompt="cat", device="cpu")))
            assert failure.kind in ("model_load", "model_not_found") and str(path) in failure.message
    finally:
        _release_fifos(models)
        _release_fifos(tmp_path)


def _with_a_tensor_of(path: Path, dtype: str) -> str:
    """Rewrites a safetensors file with its first float tensor turned into dtype; returns its name."""
    import torch
    from safetensors.torch import load_file, save_file

    state = {name: tensor.clone() for name, tensor in load_file(str(path)).items()}
    first = next(name for name, tensor in state.items() if tensor.is_floating_point())
    state[first] = state[first].to(getattr(torch, dtype))
    save_file(state, str(path))
    return first


@pytest.mark.parametrize("dtype", ["int8", "bool"])
def test_int8_and_bool_weights_in_text_to_image_folders_and_single_files_are_refused(sd_folder, tmp_path, dtype):
    from engine.errors import ModelLoadError

    folder = Path(shutil.copytree(sd_folder, tmp_path / "quantized"))
    name = _with_a_tensor_of(folder / "unet" / "diffusion_pytorch_model.safetensors", dtype)
    with pytest.raises(ModelLoadError, match=f"holds {dtype} values") as caught:
        describe_folder(folder)
    assert name in caught.value.message
    single = tmp_path / "single.safetensors"
    shutil.copy(folder / "unet" / "diffusion_pytorch_model.safetensors", single)
    with pytest.raises(ModelLoadError, match=f"holds {dtype} values"):
        describe_folder(single)


def test_pickled_component_weights_are_read_inertly_before_diffusers_opens_them(sd_folder, tmp_path):
    import torch
    from safetensors.torch import load_file

    from engine.errors import ModelLoadError, UnsafeModelFile
    from tests.engine.checkpoint_fixtures import write_hostile_ckpt

    folder = Path(shutil.copytree(sd_folder, tmp_path / "bin-weights"))
    unet = folder / "unet" / "diffusion_pytorch_model.safetensors"
    state = {name: tensor.clone() for name, tensor in load_file(str(unet)).items()}
    unet.unlink()
    torch.save(state, folder / "unet" / "diffusion_pytorch_model.bin")
    assert describe_folder(folder).takes_text  # a plain float .bin is fine
    first = next(iter(state))
    torch.save({**state, first: state[first].to(torch.int8)}, folder / "unet" / "diffusion_pytorch_model.bin")
    with pytest.raises(ModelLoadError, match=f"tensor '{first}' holds int8 values"):
        describe_folder(folder)
    marker = tmp_path / "ran"
    write_hostile_ckpt(folder / "unet" / "diffusion_pytorch_model.bin", marker)
    with pytest.raises(UnsafeModelFile):
        describe_folder(folder)
    assert not marker.exists()


def test_our_format_refuses_a_weight_link_that_leads_out_of_the_folder(tiny_models, tmp_path):
    # Unlike a diffusers folder (Hugging Face's cache links every file into blobs/), our config names its
    # weights: a link out of the folder is refused whatever it leads to, and nothing is opened.
    os.mkfifo(tmp_path / "elsewhere.safetensors")
    folder = Path(shutil.copytree(tiny_models["vae"], tmp_path / "linked"))
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").symlink_to(tmp_path / "elsewhere.safetensors")
    try:
        failure = _within(20, lambda: failure_of(Recipe(model=str(folder), sampler="none", device="cpu")))
        assert failure.kind == "model_load" and "inside the model folder" in failure.message
    finally:
        _release_fifos(tmp_path)
