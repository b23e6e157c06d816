"""Engine overheads, as ratios measured side by side in one run (interleaved, median of repeats).

1. previews: a run yielding x_t / x0 / noise previews at every step, over the bare loop that yields
   nothing per step (goal <= 1.02); and the same for a guided run (a label and guidance), whose
   steps also carry the conditional, unconditional and scaled-difference noise previews.
   On a busy machine the wall-time ratios swing by several %, so the previews' own CPU time per
   step over a guided model step's (one thread, thread_time, the same shapes) is printed too.
2. diffusers: the engine's DDIM run (with previews) over diffusers' own DDIMPipeline on the same
   model, seed and steps (goal <= 1.00), and whether both give the same image.

    .venv/bin/python -m bench.engine_bench [--steps 20] [--batch 16] [--repeats 7] [--device auto]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bench.device_sync import synchronize
from engine import Recipe, run
from engine.events import Finished
from engine.model_cache import ModelCache
from engine.models.registry import find_model

# A UNet the size of the bundled digits model, for the comparison with DDIMPipeline (which
# cannot pass class labels, so it needs an unconditional model).
UNET = {
    "sample_size": 32, "in_channels": 1, "out_channels": 1, "layers_per_block": 2,
    "block_out_channels": [32, 64, 64], "norm_num_groups": 8,
    "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "AttnUpBlock2D", "UpBlock2D"],
}
SCHEDULER = {"num_train_timesteps": 1000, "beta_schedule": "squaredcos_cap_v2", "timestep_spacing": "trailing"}


def timed_engine_run(recipe: Recipe, cache: ModelCache, previews: bool) -> tuple[float, np.ndarray]:
    synchronize(recipe.device)
    start = time.perf_counter()
    images = None
    for event in run(recipe, cache=cache, previews=previews):
        if isinstance(event, Finished):
            images = event.images
    synchronize(recipe.device)
    assert images is not None, "the run did not finish"
    return time.perf_counter() - start, images


def make_diffusers_folder(folder: Path) -> Path:
    from diffusers import DDIMScheduler, DDPMPipeline, UNet2DModel

    torch.manual_seed(0)
    DDPMPipeline(unet=UNet2DModel.from_config(UNET), scheduler=DDIMScheduler.from_config(SCHEDULER)) \
        .save_pretrained(folder / "bench-unet")
    return folder / "bench-unet"


def bench_previews(args, device: str, guided: bool = False) -> tuple[float, str]:
    model = "digits-diffusion"
    try:
        find_model(model)
    except Exception:
        if guided:
            return float("nan"), "no labelled model (digits-diffusion) installed"
        model = str(make_diffusers_folder(Path(tempfile.mkdtemp())))
    guidance = {"label": "3", "guidance": 3.0} if guided else {}
    recipe = Recipe(model=model, sampler="dpmpp_2m", steps=args.steps, batch=args.batch, seed=1, device=device,
                    **guidance)
    cache = ModelCache()
    timed_engine_run(recipe, cache, True)  # warm up: load, allocate
    with_previews, bare = [], []
    for _ in range(args.repeats):
        with_previews.append(timed_engine_run(recipe, cache, True)[0])
        bare.append(timed_engine_run(recipe, cache, False)[0])
    return statistics.median(with_previews) / statistics.median(bare), Path(model).name


def bench_preview_cpu(args) -> tuple[float, float, float]:
    """CPU seconds of one guided model step (digits-diffusion, batch args.batch) and of a step's previews
    without and with the guidance views: one thread, thread_time, medians; immune to other processes."""
    from engine.prediction import guidance_noise, split_prediction
    from engine.previews import step_previews, to_numpy

    info = find_model("digits-diffusion")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    model = ModelCache().get(info, torch.device("cpu"), torch.float32)
    x, t = torch.randn(args.batch, info.channels, info.height, info.width), torch.tensor(500)
    labels = torch.cat([torch.full((args.batch,), 3), torch.full((args.batch,), model.null_label)])

    @torch.inference_mode()
    def unet():
        return model.unet(torch.cat([x, x]), t, class_labels=labels).sample.float()

    conditional, unconditional = unet().chunk(2)
    output = unconditional + 3 * (conditional - unconditional)

    @torch.inference_mode()
    def previews(guided: bool):
        x0, eps = split_prediction(output, x, 1.3, "epsilon")
        more = guidance_noise(conditional, unconditional, x, 1.3, "epsilon", 3.0) if guided else ()
        return to_numpy(step_previews(x, x0, eps, *more))

    def cpu(work, count: int) -> float:
        times = []
        for _ in range(count):
            started = time.thread_time()
            work()
            times.append(time.thread_time() - started)
        return statistics.median(times)

    step = statistics.median(cpu(unet, 3) for _ in range(args.repeats))
    plain = statistics.median(cpu(lambda: previews(False), 100) for _ in range(args.repeats))
    guided = statistics.median(cpu(lambda: previews(True), 100) for _ in range(args.repeats))
    torch.set_num_threads(before)
    return step, plain, guided


def bench_against_diffusers(args, device: str) -> tuple[float, int]:
    from diffusers import DDIMPipeline

    folder = make_diffusers_folder(Path(tempfile.mkdtemp()))
    dtype = torch.float16 if torch.device(device).type == "cuda" else torch.float32
    pipeline = DDIMPipeline.from_pretrained(folder, torch_dtype=dtype).to(device)
    pipeline.set_progress_bar_config(disable=True)
    recipe = Recipe(model=str(folder), sampler="ddim", steps=args.steps, batch=1, seed=3, device=device)
    cache = ModelCache()

    def diffusers_run() -> tuple[float, np.ndarray]:
        synchronize(device)
        start = time.perf_counter()
        images = pipeline(batch_size=1, generator=torch.Generator("cpu").manual_seed(3),
                          num_inference_steps=args.steps, eta=0.0, output_type="np").images
        synchronize(device)
        return time.perf_counter() - start, np.round(images * 255).astype(np.uint8)

    timed_engine_run(recipe, cache, True)
    diffusers_run()
    ours, theirs = [], []
    for _ in range(args.repeats):
        seconds, our_images = timed_engine_run(recipe, cache, True)
        ours.append(seconds)
        seconds, their_images = diffusers_run()
        theirs.append(seconds)
    difference = int(np.abs(our_images.astype(int) - their_images.astype(int)).max())
    return statistics.median(ours) / statistics.median(theirs), difference



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    from engine.device import resolve_device

    device = str(resolve_device(args.device))
    previews_ratio, model = bench_previews(args, device)
    guided_ratio, guided_model = bench_previews(args, device, guided=True)
    step_s, plain_s, guided_s = bench_preview_cpu(args)
    diffusers_ratio, difference = bench_against_diffusers(args, device)
    print(f"device {device}, torch threads {torch.get_num_threads()}, steps {args.steps}, repeats {args.repeats}")
    print("| measure | ratio | goal | note |\n|---|---|---|---|")
    print(f"| previews every step / bare loop | {previews_ratio:.3f} | <= 1.02 | {model}, batch {args.batch} |")
    print(f"| guided: 6 previews every step / bare loop | {guided_ratio:.3f} | <= 1.02 | {guided_model}, "
          f"label 3, guidance 3, batch {args.batch} |")
    print(f"| CPU per step: guided step + 6 previews / guided step | {(step_s + guided_s) / step_s:.4f} | <= 1.02 | "
          f"one thread: step {step_s * 1e3:.1f} ms, previews {plain_s * 1e6:.0f} us (3) / {guided_s * 1e6:.0f} us (6) |")
    print(f"| engine DDIM / diffusers DDIMPipeline | {diffusers_ratio:.3f} | <= 1.00 | "
          f"batch 1, max pixel difference {difference} |")


if __name__ == "__main__":
    main()
