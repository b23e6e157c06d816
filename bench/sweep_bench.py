"""A sweep's throughput, as a ratio to the same cells run one by one (issue 11: goal >= 1.0,
higher where batching helps), measured side by side in one run (interleaved, median of repeats).

Two sweeps on the bundled digits model: `seed=1-8` (cells that differ only in consecutive seeds
share one batched run) and `steps=…` over as many cells (nothing to batch: the ratio shows the
sweep's own overhead). "One by one" is engine.run per cell's recipe, as `generate` runs them.

    .venv/bin/python -m bench.sweep_bench [--steps 20] [--cells 8] [--repeats 3] [--device auto]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.device_sync import synchronize
from engine import Recipe, run
from engine.events import Finished
from engine.sweep.axes import parse_axis
from engine.sweep.plan import make_plan
from engine.sweep.runner import CellDone, run_sweep


def timed_sweep(plan, device: str) -> float:
    synchronize(device)
    start = time.perf_counter()
    done = sum(isinstance(item, CellDone) for item in run_sweep(plan))
    synchronize(device)
    assert done == len(plan.cells)
    return time.perf_counter() - start


def timed_one_by_one(plan, device: str) -> float:
    synchronize(device)
    start = time.perf_counter()
    for cell in plan.cells:
        assert isinstance(list(run(cell.recipe))[-1], Finished)
    synchronize(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    base = Recipe(model="digits-diffusion", label="3", sampler="ddim", steps=args.steps, device=args.device)
    sweeps = {
        "seeds (batched)": f"seed=1-{args.cells}",
        "steps (one run each)": "steps=" + ",".join(str(args.steps + i) for i in range(args.cells)),
    }
    for name, axis in sweeps.items():
        plan = make_plan(base, [parse_axis(axis)])
        timed_sweep(plan, args.device)  # warm-up: load the model, first-call costs
        sweep, alone = [], []
        for _ in range(args.repeats):
            sweep.append(timed_sweep(plan, args.device))
            alone.append(timed_one_by_one(plan, args.device))
        s, a = statistics.median(sweep), statistics.median(alone)
        print(f"{name:22} {len(plan.cells)} cells, {len(plan.groups())} runs: sweep {s:.3f}s, one by one {a:.3f}s, "
              f"throughput ratio {a / s:.2f} (goal >= 1.0)", flush=True)


if __name__ == "__main__":
    main()
