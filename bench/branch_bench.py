"""Branching a run (issue 10), measured side by side on the bundled digits model (interleaved, medians):

1. first frame: from asking for a branch to its first Step event, against one step of the parent
   (goal: <= one step + 50 ms). Replay streams the parent's steps again, so the first frame is step 0.
2. replay: the time to the branch's own first step (the parent's steps 0..k-1 made again), and the
   whole unchanged branch over the parent run (about 1: the same work).
3. state kept for branching: bytes per sample-step. Replay keeps nothing but the recipe (0 bytes), set
   beside the uint8 previews every step already keeps (x_t, x0, noise).
And whether the unchanged branch ends on the parent's image bit for bit.

    .venv/bin/python -m bench.branch_bench [--steps 20] [--from-step 10] [--batch 4] [--repeats 5] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from engine import Recipe, run
from engine.branch import Branch
from engine.events import Finished, Step

FIRST_FRAME_SLACK_S = 0.050


def timed(recipe: Recipe, from_step: int) -> dict[str, float | np.ndarray]:
    """Seconds to the first Step, to Step `from_step`, to the end; the final images; preview bytes a step."""
    start = time.perf_counter()
    marks: dict[str, float | np.ndarray] = {}
    for event in run(recipe):
        if isinstance(event, Step):
            marks.setdefault("first", time.perf_counter() - start)
            if event.index == from_step:
                marks["own"] = time.perf_counter() - start
            marks["preview_bytes"] = float(sum(a.nbytes for a in (event.x_t, event.x0, event.noise) if a is not None))
        elif isinstance(event, Finished):
            marks["end"] = time.perf_counter() - start
            marks["images"] = event.images
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--from-step", type=int, default=10)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    parent = Recipe(model="digits-diffusion", label="7", sampler="dpmpp_2m", steps=args.steps, seed=1,
                    batch=args.batch, device=args.device)
    resolved = next(e for e in run(parent) if isinstance(e, Finished)).recipe  # warm-up; the file's recipe
    branch = resolved.replace(branch=Branch(resolved, args.from_step))
    parents, branches = [], []
    for _ in range(args.repeats):  # interleaved: load drifts hit both alike
        parents.append(timed(resolved, args.from_step))
        branches.append(timed(branch, args.from_step))

    def median(runs, key):
        return statistics.median(float(r[key]) for r in runs)

    step_s = median(parents, "end") / args.steps
    first_s = median(branches, "first")
    per_sample_step = median(parents, "preview_bytes") / args.batch
    same = all(np.array_equal(b["images"], p["images"]) for b, p in zip(branches, parents, strict=True))
    print(f"digits-diffusion, DPM++ 2M, {args.steps} steps, batch {args.batch}, {args.device}, branch from step "
          f"{args.from_step}, median of {args.repeats}")
    print(f"  one step of the parent          {step_s * 1000:8.1f} ms")
    print(f"  branch's first frame            {first_s * 1000:8.1f} ms  (goal <= one step + 50 ms: "
          f"{'met' if first_s <= step_s + FIRST_FRAME_SLACK_S else 'NOT met'})")
    print(f"  branch's own first step         {median(branches, 'own') * 1000:8.1f} ms  (replay of {args.from_step} "
          "steps)")
    print(f"  unchanged branch / parent       {median(branches, 'end') / median(parents, 'end'):8.2f}")
    print(f"  state kept for branching        {0:8d} B per sample-step (replay); previews beside it "
          f"{per_sample_step:.0f} B: ratio 0")
    print(f"  unchanged branch == parent      {'bit for bit' if same else 'DIFFERS'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
