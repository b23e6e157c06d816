"""Engine overheads, as ratios measured side by side in one run (interleaved, median of repeats).

1. previews: a run yielding x_t / x0 / noise previews at every step, over the bare loop that yields
   nothing per step (goal <= 1.02).
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
    _sync(recipe.device)
    start = time.perf_counter()
    images = None
    for event in run(recipe, cache=cache, previews=previews):
        if isinstance(event, Finished):
            images = event.images
    _sync(recipe.device)
    assert images is not None, "the run did not finish"
    return time.perf_counter() - start, images


def make_diffusers_folder(folder: Path) -> Path:
    from diffusers import DDIMScheduler, DDPMPipeline, UNet2DModel

    torch.manual_seed(0)
    DDPMPipeline(unet=UNet2DModel.from_config(UNET), scheduler=DDIMScheduler.from_config(SCHEDULER)) \
        .save_pretrained(folder / "bench-unet")
    return folder / "bench-unet"


def bench_previews(args, device: str) -> tuple[float, str]:
    model = "digits-diffusion"
    try:
        find_model(model)
    except Exception:
        model = str(make_diffusers_folder(Path(tempfile.mkdtemp())))
    recipe = Recipe(model=model, sampler="dpmpp_2m", steps=args.steps, batch=args.batch, seed=1, device=device)
    cache = ModelCache()
    timed_engine_run(recipe, cache, True)  # warm up: load, allocate
    with_previews, bare = [], []
    for _ in range(args.repeats):
        with_previews.append(timed_engine_run(recipe, cache, True)[0])
        bare.append(timed_engine_run(recipe, cache, False)[0])
    return statistics.median(with_previews) / statistics.median(bare), Path(model).name


def bench_against_diffusers(args, device: str) -> tuple[float, int]:
    from diffusers import DDIMPipeline

    folder = make_diffusers_folder(Path(tempfile.mkdtemp()))
    dtype = torch.float16 if torch.device(device).type == "cuda" else torch.float32
    pipeline = DDIMPipeline.from_pretrained(folder, torch_dtype=dtype).to(device)
    pipeline.set_progress_bar_config(disable=True)
    recipe = Recipe(model=str(folder), sampler="ddim", steps=args.steps, batch=1, seed=3, device=device)
    cache = ModelCache()

    def diffusers_run() -> tuple[float, np.ndarray]:
        _sync(device)
        start = time.perf_counter()
        images = pipeline(batch_size=1, generator=torch.Generator("cpu").manual_seed(3),
                          num_inference_steps=args.steps, eta=0.0, output_type="np").images
        _sync(device)
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


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


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
    diffusers_ratio, difference = bench_against_diffusers(args, device)
    print(f"device {device}, torch threads {torch.get_num_threads()}, steps {args.steps}, repeats {args.repeats}")
    print("| measure | ratio | goal | note |\n|---|---|---|---|")
    print(f"| previews every step / bare loop | {previews_ratio:.3f} | <= 1.02 | {model}, batch {args.batch} |")
    print(f"| engine DDIM / diffusers DDIMPipeline | {diffusers_ratio:.3f} | <= 1.00 | "
          f"batch 1, max pixel difference {difference} |")


if __name__ == "__main__":
    main()
