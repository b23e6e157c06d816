"""Single-file checkpoints (AUTOMATIC1111 / ComfyUI): told apart from their keys without loading,
loaded with diffusers' from_single_file offline, and refused clearly when they are not SD 1/2/XL,
truncated, or a pickle that would run code."""

from __future__ import annotations

import pytest
import torch

from engine.errors import ModelLoadError, UnsafeModelFile
from engine.models.catalog import describe_folder
from engine.models.checkpoint_header import read_header
from engine.models.formats import detect_format
from tests.engine.checkpoint_fixtures import write_header_checkpoint, write_hostile_ckpt


@pytest.mark.parametrize(("kind", "size", "space", "prediction", "label"), [
    ("sd1", 512, "sd", "epsilon", "Stable Diffusion 1.x"),
    ("sd2", 768, "sd", "v_prediction", "Stable Diffusion 2.x (768, v-prediction)"),
    ("sdxl", 1024, "sdxl", "epsilon", "Stable Diffusion XL"),
])
def test_architectures_are_told_from_the_header(tmp_path, kind, size, space, prediction, label):
    path = write_header_checkpoint(tmp_path / f"{kind}-model.safetensors", kind)
    info = describe_folder(path)
    assert (info.name, info.format, info.source) == (f"{kind}-model", "single_file", str(path))
    assert (info.height, info.width, info.latent_space, info.prediction_type) == (size, size, space, prediction)
    assert info.takes_text and info.pipeline == "text-to-image" and not info.fixed_size
    assert info.default_guidance == 7.5 and info.size_multiple == 8
    assert info.description.startswith(label)


def test_sd2_epsilon_from_metadata_or_the_yaml_beside_it(tmp_path):
    meta = write_header_checkpoint(tmp_path / "a.safetensors", "sd2",
                                   metadata={"modelspec.architecture": "stable-diffusion-v2-512"
                                             , "modelspec.prediction_type": "epsilon"})
    assert (describe_folder(meta).prediction_type, describe_folder(meta).height) == ("epsilon", 512)
    beside = write_header_checkpoint(tmp_path / "b.safetensors", "sd2")
    (tmp_path / "b.yaml").write_text("model:\n  params:\n    linear_start: 0.00085\n")  # no parameterization: eps
    assert describe_folder(beside).prediction_type == "epsilon"
    (tmp_path / "b.yaml").write_text('model:\n  params:\n    parameterization: "v"\n')
    assert describe_folder(beside).prediction_type == "v_prediction"


def test_sdxl_v_prediction_marker(tmp_path):
    path = write_header_checkpoint(tmp_path / "vpred.safetensors", "sdxl", extra={"v_pred": (0,)})
    assert describe_folder(path).prediction_type == "v_prediction"


@pytest.mark.parametrize(("kind", "named"), [
    ("flux", "FLUX"), ("lora", "a LoRA"), ("vae", "a VAE on its own"),
    ("sd1-inpainting", "an inpainting model (9 input channels)"), ("sd1-no-vae", "without a VAE"),
])
def test_other_architectures_are_named(tmp_path, kind, named):
    path = write_header_checkpoint(tmp_path / f"{kind}.safetensors", kind)
    with pytest.raises(ModelLoadError) as failure:
        describe_folder(path)
    assert named in failure.value.message and str(path) in failure.value.message


def test_a_truncated_file_is_one_clear_message(tmp_path):
    path = write_header_checkpoint(tmp_path / "cut.safetensors", "sd1")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(ModelLoadError, match="truncated"):
        describe_folder(path)
    path.write_bytes(data[:5])
    with pytest.raises(ModelLoadError, match="truncated"):
        describe_folder(path)


def test_a_weight_file_inside_a_model_folder_still_means_the_folder(tiny_models):
    weights = next(tiny_models["diffusion"].glob("*.safetensors"))
    assert describe_folder(weights).source == str(tiny_models["diffusion"])
    assert detect_format(weights).id == "single_file"  # the file on its own would be a checkpoint


def test_ckpt_keys_are_read_without_torch_load(tmp_path):
    path = tmp_path / "model.ckpt"
    torch.save({"state_dict": {"a.weight": torch.zeros(3, 2), "b": torch.zeros(4)}, "global_step": 7}, str(path))
    assert read_header(path).shapes == {"a.weight": (3, 2), "b": (4,)}


def test_a_pickle_that_runs_code_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "ran"
    path = write_hostile_ckpt(tmp_path / "evil.ckpt", marker)
    with pytest.raises(UnsafeModelFile) as described:
        describe_folder(path)
    from engine.models.weights import read_weights

    with pytest.raises(UnsafeModelFile) as loaded:  # torch.load(weights_only=True) refuses it as well
        read_weights(path)
    for failure in (described.value, loaded.value):
        assert "posix.system" in failure.message or "os.system" in failure.message
        assert "weights_only" not in failure.message and "\x1b[" not in failure.message
        assert "safetensors" in failure.message
    assert not marker.exists()


def _tiny_single_file(folder, kind):
    from tests.engine.ldm_layout import tiny_pipeline, write_config_folder, write_single_file

    pipe = tiny_pipeline(kind)
    return pipe, write_single_file(pipe, folder / f"tiny-{kind}.safetensors"), write_config_folder(pipe, folder / "cfg")


@pytest.fixture(scope="module")
def tiny_single_file(tmp_path_factory):
    return _tiny_single_file(tmp_path_factory.mktemp("single-file"), "sd1")


def test_the_original_layout_round_trips_through_diffusers_converter(tiny_single_file):
    # Guards the test's own writer: diffusers' converter must give back every tensor exactly.
    from diffusers.loaders.single_file_utils import convert_ldm_unet_checkpoint, convert_ldm_vae_checkpoint
    from safetensors.torch import load_file

    pipe, path, _ = tiny_single_file
    state = load_file(str(path))
    for converted, module in ((convert_ldm_unet_checkpoint(state, dict(pipe.unet.config)), pipe.unet),
                              (convert_ldm_vae_checkpoint(state, dict(pipe.vae.config)), pipe.vae)):
        original = module.state_dict()
        assert set(converted) == set(original)
        assert all(torch.equal(converted[k], original[k]) for k in original)


def test_a_single_file_loads_offline_and_makes_the_same_image(tiny_single_file):
    from engine.models.single_file_loader import load_single_file

    pipe, path, configs = tiny_single_file
    info = describe_folder(path)
    model = load_single_file(info, torch.device("cpu"), torch.float32, config_dir=configs)
    assert type(model.pipe).__name__ == "StableDiffusionPipeline" and model.info is info
    assert len(model.pipe.tokenizer) == 49408  # the shipped CLIP vocabulary
    assert model.pipe.tokenizer("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]

    def image(p):
        return p("a photo of a cat", negative_prompt="blurry", num_inference_steps=2, height=32, width=24,
                 generator=torch.Generator("cpu").manual_seed(3), output_type="np").images

    assert abs(image(model.pipe) - image(pipe)).max() == 0.0


def test_a_ckpt_loads_through_weights_only_with_every_tensor_in_place(tiny_single_file, tmp_path):
    from engine.models.single_file_loader import load_single_file
    from tests.engine.ldm_layout import write_single_file

    pipe, _, configs = tiny_single_file
    path = write_single_file(pipe, tmp_path / "tiny-sd1.ckpt")
    info = describe_folder(path)
    assert info.description == "Stable Diffusion 1.x, single ckpt file"
    model = load_single_file(info, torch.device("cpu"), torch.float32, config_dir=configs)
    for name in ("unet", "vae", "text_encoder"):
        loaded, original = getattr(model.pipe, name).state_dict(), getattr(pipe, name).state_dict()
        assert all(torch.equal(loaded[k], original[k]) for k in original), name


@pytest.mark.parametrize(("kind", "prediction", "pad", "encoders"), [
    ("sd2", "v_prediction", "!", ("text_encoder",)),
    ("sdxl", "epsilon", "<|endoftext|>", ("text_encoder", "text_encoder_2")),
])
def test_sd2_and_sdxl_single_files_load_every_tensor(tmp_path, kind, prediction, pad, encoders):
    # SD 2.x keeps OpenCLIP (fused q/k/v, "!" padding); SDXL keeps both encoders under conditioner.embedders.
    from engine.models.single_file_loader import load_single_file

    pipe, path, configs = _tiny_single_file(tmp_path, kind)
    info = describe_folder(path)
    assert (info.latent_space, info.prediction_type) == ("sdxl" if kind == "sdxl" else "sd", prediction)
    model = load_single_file(info, torch.device("cpu"), torch.float32, config_dir=configs)
    assert model.pipe.scheduler.config.prediction_type == prediction
    assert model.pipe.tokenizer.pad_token == pad
    if kind == "sdxl":
        assert model.pipe.tokenizer_2.pad_token == "!"
    for name in ("unet", "vae", *encoders):
        loaded, original = getattr(model.pipe, name).state_dict(), getattr(pipe, name).state_dict()
        assert set(loaded) == set(original), name
        assert all(torch.equal(loaded[k], original[k]) for k in original), name


@pytest.mark.parametrize("kind", ["sd1", "sdxl"])
def test_the_shipped_model_index_loads_with_from_single_file(tmp_path, kind):
    # The tiny components stand in for the real ones; the pipeline's index is the one shipped.
    import shutil

    from engine.models.single_file_loader import configs_dir, load_single_file

    pipe, path, configs = _tiny_single_file(tmp_path, kind)
    shutil.copy(configs_dir() / kind / "model_index.json", configs / "model_index.json")
    model = load_single_file(describe_folder(path), torch.device("cpu"), torch.float32, config_dir=configs)
    assert type(model.pipe) is type(pipe)
    assert getattr(model.pipe, "safety_checker", None) is None


# Parameter counts of the published networks (UNet, VAE, text encoder(s)).
PUBLISHED = {"sd1": (859_520_964, 83_653_863, (123_060_480,)), "sd2-v": (865_910_724, 83_653_863, (340_387_840,)),
             "sd2": (865_910_724, 83_653_863, (340_387_840,)),
             "sdxl": (2_567_463_684, 83_653_863, (123_060_480, 694_659_840))}


@pytest.mark.parametrize("arch", sorted(PUBLISHED))
def test_the_shipped_configs_build_the_published_architectures(arch):
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from engine.models.single_file_loader import configs_dir

    def count(module):
        return sum(p.numel() for p in module.parameters())

    folder = configs_dir() / arch
    with torch.device("meta"):  # shapes only: no memory, no time
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder / "unet"))
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(folder / "vae"))
        encoders = [CLIPTextModel(CLIPTextConfig.from_pretrained(folder / "text_encoder"))]
        if arch == "sdxl":
            encoders.append(CLIPTextModelWithProjection(CLIPTextConfig.from_pretrained(folder / "text_encoder_2")))
    assert (count(unet), count(vae), tuple(count(e) for e in encoders)) == PUBLISHED[arch]


def test_the_shipped_configs_and_tokenizer_are_found(tmp_path):
    from engine.models.single_file_loader import clip_tokenizer, configs_dir

    for arch in ("sd1", "sd2", "sd2-v", "sdxl"):
        assert (configs_dir() / arch / "model_index.json").is_file()
        assert (configs_dir() / arch / "unet" / "config.json").is_file()
    assert (configs_dir() / "sdxl" / "text_encoder_2" / "config.json").is_file()
    assert clip_tokenizer("!").pad_token == "!"


def test_loading_a_truncated_checkpoint_fails_with_one_message(tiny_single_file, tmp_path):
    from engine.models.single_file_loader import load_single_file

    _, path, configs = tiny_single_file
    info = describe_folder(path)
    cut = tmp_path / path.name
    cut.write_bytes(path.read_bytes()[:-64])
    with pytest.raises(ModelLoadError, match="truncated"):
        load_single_file(info.__class__(**{**info.__dict__, "source": str(cut)}), torch.device("cpu"),
                         torch.float32, config_dir=configs)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "bool"])
def test_int8_and_bool_tensors_in_a_ckpt_are_refused_from_its_pickle_alone(tmp_path, dtype):
    # issue 12: read inertly (nothing loaded), like the safetensors header; int64 counters stay fine
    path = tmp_path / "quantized.ckpt"
    torch.save({"model.diffusion_model.input_blocks.0.0.weight": torch.zeros(2, 3),
                "steps": torch.zeros(1, dtype=torch.int64), "codes": torch.zeros(4, dtype=getattr(torch, dtype))}, path)
    with pytest.raises(ModelLoadError, match=f"tensor 'codes' holds {dtype} values"):
        describe_folder(path)
