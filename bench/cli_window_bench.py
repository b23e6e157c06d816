"""The command line against the window's engine path on the same work, and the memory of a run
(issue 12: the CLI ran 10-20x slower on a loaded machine; nothing reported a run's memory).

Interleaved in one process, median of repeats. CLI: `noisescope generate` through main() (threads
chosen by engine/threads.py, PNGs written, no history). Window: what the engine adapter's worker does
(leave_a_core_for_the_gui, run() through its own ModelCache, every event recorded in a Trajectory).
Goal: ratio CLI / window <= 1.10 (the CLI also writes PNGs; the window leaves a core for its GUI).

    .venv/bin/python -m bench.cli_window_bench [--steps 20] [--batch 8] [--repeats 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import resource
import statistics
import tempfile
import time

import torch

from engine import Recipe, run
from engine.cli.main import main as cli_main
from engine.memory import estimate, format_bytes
from engine.model_cache import ModelCache
from engine.models.catalog import find_model
from engine.threads import busy_cores, choose_threads
from engine.trajectory import Trajectory


def cli_once(args, out: str) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the PNG paths it prints
        code = cli_main(["generate", "--model", "digits-diffusion", "--steps", str(args.steps), "--batch",
                         str(args.batch), "--label", "3", "--seed", "1", "--out", out, "--no-history",
                         "--device", "cpu"])
    assert code == 0, f"generate exited {code}"
    return time.perf_counter() - start


def window_once(args, cache: ModelCache) -> tuple[float, Trajectory]:
    from gui.engine_adapter import leave_a_core_for_the_gui

    start = time.perf_counter()
    leave_a_core_for_the_gui()
    recorded = Trajectory()
    recipe = Recipe(model="digits-diffusion", steps=args.steps, batch=args.batch, label="3", seed=1, device="cpu")
    for event in run(recipe, cache=cache):
        recorded.record(event)
    assert recorded.outcome == "finished", recorded.outcome
    return time.perf_counter() - start, recorded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cache = ModelCache()
    cli_times, window_times = [], []
    with tempfile.TemporaryDirectory() as out:
        cli_once(args, out), window_once(args, cache)  # warm both: model loads, imports
        for _ in range(args.repeats):
            cli_times.append(cli_once(args, out))
            seconds, recorded = window_once(args, cache)
            window_times.append(seconds)
    cli, window = statistics.median(cli_times), statistics.median(window_times)
    info = find_model("digits-diffusion")
    needed = estimate(Recipe(model=info.name, steps=args.steps, batch=args.batch, label="3").check_against_model(info),
                      info)
    kept = sum(a.nbytes for s in recorded.steps for a in (s.x_t, s.x0, s.noise) if a is not None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"torch threads: CLI {choose_threads(gui=False, load=busy_cores())}, window "
          f"{choose_threads(gui=True, load=busy_cores())} (load {busy_cores()}); now {torch.get_num_threads()}")
    print("| measure | value | goal | note |\n|---|---|---|---|")
    print(f"| CLI / window, same work | {cli / window:.3f} | <= 1.10 | {args.steps} steps, batch {args.batch}: "
          f"CLI {cli:.2f} s, window {window:.2f} s (median of {args.repeats}) |")
    print(f"| run memory: estimate | {format_bytes(needed.run_bytes + needed.preview_bytes)} | - | {needed.describe()} |")
    print(f"| run memory: previews kept | {format_bytes(kept)} | <= budget | {len(recorded)} steps |")
    print(f"| process peak RSS | {format_bytes(peak)} | - | model, torch and both paths |")


if __name__ == "__main__":
    main()
