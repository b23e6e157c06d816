"""A sweep on a local Ray (issue 14), side by side in one run: the same >= 64 cells on 1 and on 2
Ray workers (goal: throughput ratio >= 1.7 on a 2-core machine) and on 1 Ray worker vs the plain
local sweep (goal: overhead <= 10%). Interleaved repeats, medians; the load average is printed,
and what two plain CPU-bound processes gain over one (the ceiling for the 2-worker ratio), since
other work on the machine takes cores from the workers.

Every worker and the local sweep use one torch thread, so the ratios compare processes, not
threads. Cells: the bundled digits model, `seed=1-N`, one run per cell (--group-batch 1), so the
64 cells are 64 calls to the workers. The models are loaded before timing (a warm-up sweep).

    .venv/bin/python -m bench.ray_sweep_bench [--cells 64] [--steps 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time

import torch

from engine.cluster.ray_import import require_ray
from engine.cluster.ray_pool import RayPool
from engine.cluster.ray_sweep import run_sweep_on_ray
from engine.recipe import Recipe
from engine.sweep.axes import parse_axis
from engine.sweep.plan import make_plan
from engine.sweep.runner import CellDone, run_sweep


def timed(cells) -> float:
    start = time.perf_counter()
    done = sum(isinstance(item, CellDone) for item in cells())
    elapsed = time.perf_counter() - start
    assert done == CELLS, done
    return elapsed


def _spin(_: object = None) -> float:
    start, total = time.perf_counter(), 0
    for i in range(5_000_000):
        total += i
    return time.perf_counter() - start


def machine_parallelism() -> float:
    """What a second process brings on this machine now: 2 x (one spinner alone) / (two at once).
    2.0 on two idle cores; less when other work holds them. The ceiling for the 2-worker ratio."""
    alone = _spin()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_spin, range(2))  # start-up out of the timing
        start = time.perf_counter()
        pool.map(_spin, range(2))
        together = time.perf_counter() - start
    return 2 * alone / together


def load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


CELLS = 64


def main() -> None:
    global CELLS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    CELLS = args.cells
    torch.set_num_threads(1)
    plan = make_plan(Recipe(model="digits-diffusion", label="3", sampler="ddim", steps=args.steps, device="cpu"),
                     [parse_axis(f"seed=1-{args.cells}")], max_cells=None)
    print(f"{args.cells} cells of digits-diffusion, {args.steps} DDIM steps; {os.cpu_count()} cores; {load()}",
          flush=True)
    ray = require_ray()
    started = time.perf_counter()
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False)  # 3 slots: both pools' actors stay up
    print(f"local Ray started in {time.perf_counter() - started:.1f}s", flush=True)
    try:
        one, two = RayPool(workers=1), RayPool(workers=2)
        for pool in (one, two):
            started = time.perf_counter()
            pool.start_workers()
            list(run_sweep_on_ray(make_plan(plan.base, [parse_axis("seed=1-4")]), pool, max_batch=1))  # warm-up
            print(f"{pool.workers} worker(s) up, model loaded, in {time.perf_counter() - started:.1f}s", flush=True)
        list(run_sweep(make_plan(plan.base, [parse_axis("seed=1-2")]), max_batch=1))
        times: dict[str, list[float]] = {"local": [], "ray 1": [], "ray 2": []}
        for repeat in range(args.repeats):
            times["local"].append(timed(lambda: run_sweep(plan, max_batch=1)))
            times["ray 1"].append(timed(lambda: run_sweep_on_ray(plan, one, max_batch=1)))
            times["ray 2"].append(timed(lambda: run_sweep_on_ray(plan, two, max_batch=1)))
            spare = machine_parallelism()
            print(f"repeat {repeat + 1}: " + ", ".join(f"{name} {values[-1]:.2f}s" for name, values in times.items())
                  + f"; a 2nd process brings {spare:.2f}x now; {load()}", flush=True)
        local, ray1, ray2 = (statistics.median(values) for values in times.values())
        print(f"per cell: local {local / CELLS * 1000:.1f} ms, Ray 1 worker {ray1 / CELLS * 1000:.1f} ms, "
              f"Ray 2 workers {ray2 / CELLS * 1000:.1f} ms (wall time / cells)")
        print(f"throughput 2 workers / 1 worker: {ray1 / ray2:.2f} (goal >= 1.7; linear 2.0; two plain processes "
              f"got {machine_parallelism():.2f}x on this machine just now)")
        print(f"Ray 1 worker vs local sweep: overhead {(ray1 / local - 1) * 100:+.1f}% "
              f"({(ray1 - local) / CELLS * 1000:+.1f} ms a cell; goal <= 10%)")
        print(load())
        one.close()
        two.close()
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
