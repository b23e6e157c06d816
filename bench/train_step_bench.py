"""Training throughput of the diffusion trainer, and what reading each step's loss on the host costs.

Two ways of running the same steps, interleaved in blocks (median of the blocks' step rates):
- deferred: the loop as it is (engine/training/loop.py): each step's loss, a 0-d tensor on the
  training device, is summed where it is and read once per 100-step window (loss_log.LossLog);
- per step: the loss read with .item() after every step, as the loop did before, which makes the
  host wait for the GPU to finish each step before it queues the next.
On a CPU the two are the same work (ratio ~1); on a GPU the ratio is what the deferred read saves.
Random images stand in for a data set (the work per step does not depend on what the pixels are).

    .venv/bin/python -m bench.train_step_bench [--device auto] [--widths 32,64,64] [--batch 32] [--size 32]
                                               [--channels 3] [--steps 50] [--blocks 5] [--bf16]
On a lent GPU: source scripts/device_env.sh && python3 -m bench.train_step_bench --device cuda ...
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
from engine.device import resolve_device
from engine.training.diffusion import DiffusionTrainer
from engine.training.image_folder import ImageSet
from engine.training.loss_log import LossLog

CLASSES = 9



def trainer_for(args, device: torch.device) -> DiffusionTrainer:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (512, args.size, args.size, args.channels), dtype=np.uint8)
    labels = rng.integers(0, CLASSES, 512).astype(np.int64)
    data = ImageSet(images=images, labels=labels, label_names=tuple(f"class{c}" for c in range(CLASSES)))
    settings = {"widths": [int(w) for w in args.widths.split(",")], "batch": args.batch, "bf16": args.bf16,
                "seed": 0, "steps": 10**9}
    return DiffusionTrainer(settings, data, torch.Generator().manual_seed(0), device)


def block_rate(trainer: DiffusionTrainer, log: LossLog, steps: int, read_each_step: bool,
               device: torch.device) -> float:
    """Steps per second over one block of `steps` steps."""
    synchronize(device)
    began = time.perf_counter()
    for _ in range(steps):
        losses = trainer.train_step()
        if read_each_step:
            losses = {key: value.item() for key, value in losses.items()}
        log.add(trainer.step, losses, 0.0)
    synchronize(device)
    return steps / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--widths", default="32,64,64")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--steps", type=int, default=50, help="steps per block")
    parser.add_argument("--blocks", type=int, default=5, help="blocks of each kind, interleaved")
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args()
    device = resolve_device(args.device)  # auto: CUDA, then Apple MPS, then the CPU, as the app chooses
    trainer = trainer_for(args, device)
    rates: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as folder:
        log = LossLog(Path(folder) / "losses.csv")
        block_rate(trainer, log, max(5, args.steps // 5), False, device)  # warm-up: allocator, kernels
        for _ in range(args.blocks):
            for read_each_step in (False, True):
                rates[read_each_step].append(block_rate(trainer, log, args.steps, read_each_step, device))
    deferred, per_step = statistics.median(rates[False]), statistics.median(rates[True])
    parameters = sum(p.numel() for p in trainer.model.parameters())
    print(f"device {device}, widths {args.widths} ({parameters / 1e6:.2f}M parameters), batch {args.batch}, "
          f"{args.size}x{args.size}x{args.channels}, bf16 {args.bf16}, {args.blocks} blocks of {args.steps} steps each")
    print(f"deferred loss read: {deferred:.2f} steps/s ({deferred * args.batch:.0f} images/s)")
    print(f"loss read every step: {per_step:.2f} steps/s")
    print(f"ratio deferred / per step: {deferred / per_step:.3f}")


if __name__ == "__main__":
    main()
