"""The text-to-image loop against diffusers' own pipeline, and previews against the bare loop.

Builds a tiny random SD (or SDXL) pipeline folder (tests/engine/tiny_sd.py), then times, interleaved
and as the median of repeats: diffusers' StableDiffusion(XL)Pipeline.__call__; the engine's run with
approx previews of every step; the engine's run without previews. Prints the ratios. On a CPU the
tiny model measures the loop's overhead, not the UNet's arithmetic.

    .venv/bin/python -m bench.text_to_image_bench [--sdxl] [--steps 20] [--size 64] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from engine import Recipe, run
from engine.events import Finished
from engine.samplers import make_scheduler
from tests.engine.tiny_sd import tiny_sd_folder, tiny_sdxl_folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdxl", action="store_true")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import diffusers

    root = Path(tempfile.mkdtemp())
    folder = tiny_sdxl_folder(root) if args.sdxl else tiny_sd_folder(root)
    pipeline_class = diffusers.StableDiffusionXLPipeline if args.sdxl else diffusers.StableDiffusionPipeline
    pipe = pipeline_class.from_pretrained(folder, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = make_scheduler("dpmpp_2m", dict(pipe.scheduler.config))
    recipe = Recipe(model=str(folder), prompt="a red cat", width=args.size, height=args.size, steps=args.steps,
                    seed=1, device="cpu")

    def theirs() -> None:
        pipe("a red cat", width=args.size, height=args.size, num_inference_steps=args.steps,
             generator=torch.Generator("cpu").manual_seed(1), output_type="np")

    def ours(previews: bool) -> None:
        last = list(run(recipe, previews=previews))[-1]
        assert isinstance(last, Finished), last

    cases = {"diffusers": theirs, "engine+previews": lambda: ours(True), "engine bare": lambda: ours(False)}
    for case in cases.values():  # warm-up: model load, first-call allocations
        case()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeats):
        for name, case in cases.items():
            began = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - began)
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, value in median.items():
        print(f"{name:16} {value * 1000:8.1f} ms")
    print(f"engine (previews) / diffusers: {median['engine+previews'] / median['diffusers']:.3f}")
    print(f"engine bare / diffusers:       {median['engine bare'] / median['diffusers']:.3f}")
    print(f"previews / bare:               {median['engine+previews'] / median['engine bare']:.3f}")


if __name__ == "__main__":
    main()
