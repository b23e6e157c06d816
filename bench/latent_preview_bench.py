"""What a latent preview costs per step, as a ratio to one UNet step (interleaved, median of repeats).

For each preview mode that needs no files (approx always; taesd with a random-weight
AutoencoderTiny of TAESD's published shape), the time to make a step's frames
(engine.latent_previews.latent_step_frames: x_t and x0 in RGB, the noise's four channels and the
kept fp16 latents) over the time of one guided UNet step (two samples through
UNet2DConditionModel, as classifier-free guidance runs). The default UNet is small enough for a
CPU; --sd15 builds SD1.5's published UNet shape with random weights (the real work, for a GPU).

    .venv/bin/python -m bench.latent_preview_bench [--size 256] [--batch 1] [--repeats 15] [--device auto] [--sd15]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from bench.device_sync import synchronize
from engine.latent_previews import latent_step_frames
from engine.preview_modes import PreviewMode

TINY_UNET = {"block_out_channels": (32, 64), "layers_per_block": 1, "cross_attention_dim": 32,
             "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"),
             "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"), "attention_head_dim": 8, "norm_num_groups": 16}
SD15_UNET = {"block_out_channels": (320, 640, 1280, 1280), "layers_per_block": 2, "cross_attention_dim": 768,
             "attention_head_dim": 8}



def _time(fn, device: torch.device) -> float:
    synchronize(device)
    began = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - began


def main() -> None:
    from diffusers import AutoencoderTiny, UNet2DConditionModel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="image size in pixels (latents are size/8)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--sd15", action="store_true", help="SD1.5's UNet shape (random weights)")
    args = parser.parse_args()
    device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    torch.manual_seed(0)
    config = SD15_UNET if args.sd15 else TINY_UNET
    unet = UNet2DConditionModel(sample_size=args.size // 8, in_channels=4, out_channels=4, **config)
    unet = unet.to(device, dtype).eval()
    taesd = AutoencoderTiny().to(device, dtype).eval()  # TAESD's published shape, random weights
    side = args.size // 8
    x = torch.randn(args.batch, 4, side, side, device=device, dtype=dtype)
    text = torch.randn(2 * args.batch, 77, config["cross_attention_dim"], device=device, dtype=dtype)
    t = torch.tensor(500, device=device)

    def unet_step() -> None:
        out = unet(torch.cat([x, x]), t, encoder_hidden_states=text).sample
        out.float().chunk(2)

    def frames(mode: PreviewMode, decoder=None):
        def make() -> None:
            for frame in latent_step_frames(x, x, x, "sd", mode, decoder):
                frame.cpu()  # the copy to the host belongs to the preview's cost
        return make

    runs = {"unet step": unet_step, "approx": frames(PreviewMode.APPROX), "taesd": frames(PreviewMode.TAESD, taesd)}
    times: dict[str, list[float]] = {name: [] for name in runs}
    with torch.inference_mode():
        for fn in runs.values():
            fn()  # warm up
        for _ in range(args.repeats):
            for name, fn in runs.items():
                times[name].append(_time(fn, device))
    step = statistics.median(times["unet step"])
    print(f"device {device}, {args.size}x{args.size}, batch {args.batch}, {'SD1.5' if args.sd15 else 'tiny'} UNet, "
          f"{args.repeats} repeats (median)")
    print(f"  unet step (guided): {step * 1e3:9.3f} ms")
    for name in ("approx", "taesd"):
        median = statistics.median(times[name])
        print(f"  {name:>6} preview: {median * 1e3:9.3f} ms  = {median / step:.4f} of a step "
              f"(a run with it / bare loop ~ {1 + median / step:.3f})")


if __name__ == "__main__":
    main()
