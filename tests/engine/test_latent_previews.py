"""Latent previews: the approximate RGB map, the noise channels, TAESD, and decoding a recorded
step again at full quality with the model's VAE (tiny random models; nothing is fetched)."""

import numpy as np
import pytest
import torch

from engine.errors import InvalidRecipe, ModelLoadError
from engine.events import Started, Step
from engine.export.trajectory_file import load_trajectory, save_trajectory
from engine.latent_previews import (
    LATENT_RGB,
    approx_rgb,
    decode_step,
    latent_step_arrays,
    latent_step_frames,
    load_taesd,
    noise_channels,
    taesd_rgb,
    vae_rgb,
)
from engine.preview_modes import PreviewMode, PreviewSettings, preview_mode
from engine.previews import PreviewPipe
from engine.recipe import Recipe
from engine.trajectory import Trajectory


def tiny_vae():
    from diffusers import AutoencoderKL

    torch.manual_seed(0)
    return AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 4,
                         up_block_types=("UpDecoderBlock2D",) * 4, block_out_channels=(8, 8, 8, 8),
                         layers_per_block=1, latent_channels=4, norm_num_groups=4, sample_size=32).eval()


def tiny_taesd_folder(path):
    from diffusers import AutoencoderTiny

    torch.manual_seed(0)
    AutoencoderTiny(encoder_block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8),
                    num_encoder_blocks=(1, 1, 1, 1), num_decoder_blocks=(1, 1, 1, 1)).save_pretrained(path)
    return path


@pytest.mark.parametrize("space", ["sd", "sdxl"])
def test_approx_rgb_is_the_published_linear_map(space):
    matrix, bias = (np.array(x) for x in LATENT_RGB[space])
    latents = torch.zeros(2, 4, 3, 5)
    latents[0, 1, 2, 4] = 1.0  # one pixel, one channel: that channel's row (plus bias)
    latents[1] = 0.5  # all channels at once: the column sums
    rgb = approx_rgb(latents, space)
    assert rgb.shape == (2, 3, 3, 5)
    assert np.allclose(rgb[0, :, 2, 4].numpy(), matrix[1] + bias, atol=1e-6)
    assert np.allclose(rgb[0, :, 0, 0].numpy(), bias, atol=1e-6)
    assert np.allclose(rgb[1, :, 1, 1].numpy(), 0.5 * matrix.sum(0) + bias, atol=1e-6)
    assert approx_rgb(torch.full((1, 4, 2, 2), 100.0), space).abs().max() <= 1.0  # clamped to [-1, 1]


def test_approx_rgb_refuses_what_it_cannot_map():
    with pytest.raises(ValueError, match="latent space 'flux'"):
        approx_rgb(torch.zeros(1, 4, 2, 2), "flux")
    with pytest.raises(ValueError, match=r"\(batch, 4, height, width\)"):
        approx_rgb(torch.zeros(1, 16, 2, 2), "sd")


def test_noise_channels_lay_the_four_channels_out_as_a_grid():
    latents = torch.arange(4.0).view(1, 4, 1, 1).expand(2, 4, 3, 5).clone()
    grid = noise_channels(latents)
    assert grid.shape == (2, 1, 6, 10)
    assert (grid[:, 0, :3, :5] == 0).all() and (grid[:, 0, :3, 5:] == 1).all()
    assert (grid[:, 0, 3:, :5] == 2).all() and (grid[:, 0, 3:, 5:] == 3).all()


def latent_steps(count=3, batch=2, h=4, w=6):
    """Steps as a latent loop makes them (through PreviewPipe, on the CPU)."""
    generator = torch.Generator().manual_seed(1)
    pipe = PreviewPipe(torch.device("cpu"))
    steps, kept = [], []
    for index in range(count):
        x_t, x0, eps = (torch.randn(batch, 4, h, w, generator=generator) for _ in range(3))

        def build(arrays, index=index):
            x_t, x0, noise, latents = latent_step_arrays(arrays)
            return Step(index, count, 999.0 - index, 1.0 / (index + 1), x_t, x0, noise, 0.1 * index, latents)

        steps += pipe.push(latent_step_frames(x_t, x0, eps, "sd"), build)
        kept.append(x0)
    return steps, kept


def test_step_frames_have_the_views_the_viewer_and_files_expect():
    (step,), (x0,) = latent_steps(count=1)
    assert step.x_t.shape == step.x0.shape == (2, 4, 6, 3) and step.x_t.dtype == np.uint8
    assert step.noise.shape == (2, 8, 12, 1) and step.noise.dtype == np.uint8
    assert step.latents.shape == (2, 4, 4, 6) and step.latents.dtype == np.float16
    assert not step.latents.flags.writeable
    assert np.allclose(step.latents, x0.numpy(), atol=2e-3)  # fp16 of the x0 latents


def recorded(steps):
    trajectory = Trajectory()
    trajectory.record(Started(Recipe(model="tiny-sd", batch=2, steps=len(steps)), len(steps), (32, 48, 3), "cpu",
                              "float32", "tiny-sd"))
    for step in steps:
        trajectory.record(step)
    return trajectory


def test_trajectory_file_keeps_the_latents(tmp_path):
    trajectory = recorded(latent_steps()[0])
    assert trajectory.has_latents and trajectory.latents(1).shape == (2, 4, 4, 6)
    loaded = load_trajectory(save_trajectory(trajectory, tmp_path / "run.trajectory.safetensors"))
    assert loaded.has_latents
    for mine, theirs in zip(loaded.steps, trajectory.steps, strict=True):
        assert mine.latents.dtype == np.float16 and np.array_equal(mine.latents, theirs.latents)
        assert np.array_equal(mine.noise, theirs.noise)


def test_a_file_without_latents_still_loads(tmp_path):
    steps = [Step(s.index, s.total, s.timestep, s.sigma, s.x_t, s.x0, s.noise, s.elapsed_s) for s in latent_steps()[0]]
    loaded = load_trajectory(save_trajectory(recorded(steps), tmp_path / "old.trajectory.safetensors"))
    assert not loaded.has_latents and loaded.latents(0) is None
    with pytest.raises(ValueError, match="kept no latents"):
        decode_step(loaded, 0, tiny_vae())


def test_decode_step_is_the_vae_decode_of_the_kept_latents(tmp_path):
    vae = tiny_vae()
    trajectory = load_trajectory(save_trajectory(recorded(latent_steps()[0]), tmp_path / "run.trajectory.safetensors"))
    images = decode_step(trajectory, 2, vae)  # from the file: no UNet anywhere
    assert images.shape == (2, 32, 48, 3) and images.dtype == np.uint8 and not images.flags.writeable
    with torch.no_grad():
        latents = torch.from_numpy(trajectory.latents(2).astype(np.float32))
        expected = vae.decode(latents / vae.config.scaling_factor).sample.clamp(-1, 1)
    expected = ((expected + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    assert np.abs(images.astype(int) - expected.astype(int)).max() <= 1
    assert not np.array_equal(decode_step(trajectory, 0, vae), images)  # another step, another image
    with pytest.raises(ValueError, match="step 3 is not recorded"):
        decode_step(trajectory, 3, vae)


def test_decode_step_takes_a_loaded_text_to_image_model():
    vae = tiny_vae()
    model = type("Loaded", (), {"pipe": type("Pipe", (), {"vae": vae})()})()  # TextToImageModel's shape
    trajectory = recorded(latent_steps(count=1)[0])
    assert np.array_equal(decode_step(trajectory, 0, model), decode_step(trajectory, 0, vae))
    with pytest.raises(ModelLoadError, match="no VAE"):
        decode_step(trajectory, 0, object())


def test_vae_rgb_decodes_fp16_upcast_vaes_in_fp32():
    vae = tiny_vae()
    latents = torch.randn(1, 4, 2, 3)
    with torch.no_grad():
        reference = vae_rgb(vae, latents)
        vae.register_to_config(force_upcast=True)
        vae.half()
        upcast = vae_rgb(vae, latents)
    assert next(vae.parameters()).dtype == torch.float16  # given back as it was
    assert (upcast - reference).abs().max() < 2e-2


def test_taesd_from_a_local_folder(tmp_path):
    taesd = load_taesd(tiny_taesd_folder(tmp_path / "taesd"))
    with torch.no_grad():
        rgb = taesd_rgb(taesd, torch.randn(2, 4, 3, 5))
    assert rgb.shape == (2, 3, 24, 40) and rgb.abs().max() <= 1
    step = latent_step_frames(*(torch.randn(1, 4, 3, 5) for _ in range(3)), "sd", PreviewMode.TAESD, taesd)
    assert step[0].shape == (2, 1, 24, 40, 3) and step[1].shape == (1, 6, 10, 1)
    with pytest.raises(ModelLoadError, match="no config.json.*--preview approx"):
        load_taesd(tmp_path / "nowhere")


def test_preview_modes_read_from_words():
    assert preview_mode("TAESD") == PreviewMode.TAESD and str(PreviewMode.APPROX) == "approx"
    assert PreviewSettings("vae").mode == PreviewMode.VAE
    with pytest.raises(InvalidRecipe, match="approx, taesd, vae, none"):
        preview_mode("fast")
