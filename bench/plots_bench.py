"""What the Plots dock costs a run (issue 10: the plots add <= 1% to a run).

The real window (offscreen unless DISPLAY is set) makes the same run again and again, with the Plots
dock shown and hidden in turn (ABAB...), on the bundled digits-diffusion (50 steps, batch 8) or a
tiny test model. A run's time is from the click to Finished shown; its GUI-thread work goes on, with
the dock shown, until the dock's comparison with the final image is done (the settled map drawn).
Figures, medians over the repeats:

- the dock's own GUI-thread time (its refresh, the final comparison's slices, the step marker and
  pyqtgraph's painting of the dock, each timed where it runs) as a share of the run's time;
- side by side: the GUI thread's CPU time (to the end of that work) and the run's time, with the
  dock shown over hidden.

    .venv/bin/python -m bench.plots_bench [--model NAME] [--steps 50] [--batch 8] [--repeats 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.gui_bench import choose_model, wait  # noqa: E402

SPENT = {"s": 0.0, "calls": 0}  # seconds the dock has spent on the GUI thread in the methods timed below


def _timed(function):
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT["s"] += time.perf_counter() - started
            SPENT["calls"] += 1

    return timed


def time_the_dock() -> None:
    """Wrap what the dock runs on the GUI thread, before it is built (its signals bind these)."""
    from gui.run_plots import RunPlots

    for name in ("refresh", "_compare_slice", "_mark_step", "_reset", "_schedule_refresh"):
        setattr(RunPlots, name, _timed(getattr(RunPlots, name)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--sampler", default="dpmpp_2m")
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="noisescope-plots-bench-") as scratch:
        os.environ["NOISESCOPE_DATA_DIR"] = str(Path(scratch) / "data")
        return bench(args, Path(scratch))


def bench(args: argparse.Namespace, scratch: Path) -> int:
    import asyncio

    import qasync

    model, note = choose_model(args.model, scratch)
    app = QApplication.instance() or QApplication(["plots_bench"])
    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    time_the_dock()
    from gui.app import build_studio
    from gui.style import apply_theme

    apply_theme(app)
    studio = build_studio(QSettings(str(scratch / "bench.ini"), QSettings.Format.IniFormat))
    vm, window, plots = studio.view_model, studio.window, studio.plots
    window.resize(1280, 800)
    window.show()
    studio.start()
    wait(app, lambda: bool(vm.form.models))
    info = vm.form.model_info(model)
    if info is None:
        print(f"model {model!r} not found", file=sys.stderr)
        return 1
    vm.form.restore_fields({"model": model, "sampler": args.sampler, "steps": args.steps, "batch": args.batch,
                            "seed": 1, "seed_locked": True, "label": info.labels[3] if info.labels else None})
    wait(app, lambda: vm.status.loaded_model == model)

    def one_run(shown: bool) -> tuple[float, float, float]:
        """(seconds from the click to Finished shown, the GUI thread's CPU seconds and the dock's seconds
        until all of the run's work is done, its final comparison included)."""
        plots.dock.setVisible(shown)
        app.processEvents()
        SPENT["s"] = 0.0
        cpu, clicked = time.thread_time(), time.perf_counter()
        window.controls.generate.click()
        wait(app, lambda: vm.view.trajectory is not None and vm.view.trajectory.outcome != "running"
             and not vm.status.busy)
        finished = time.perf_counter() - clicked
        if shown:
            wait(app, lambda: plots.settled is not None)  # after Finished, in slices: part of the dock's cost
        app.processEvents()  # the last repaints
        assert vm.view.trajectory.outcome == "finished", vm.status.error
        return finished, time.thread_time() - cpu, SPENT["s"]

    plots.dock.setVisible(True)
    app.processEvents()
    assert plots.graphics is not None, "the dock builds its plots when first shown"
    plots.graphics.paintEvent = _timed(plots.graphics.paintEvent)  # pyqtgraph paints here
    one_run(True), one_run(False)  # warm up: allocation, first paint of each plot
    shown_runs, hidden_runs = [], []
    for repeat in range(args.repeats):
        order = (True, False) if repeat % 2 == 0 else (False, True)  # neither side always first
        for shown in order:
            (shown_runs if shown else hidden_runs).append(one_run(shown))
    studio.close()

    def median(runs, field: int) -> float:
        return statistics.median(run[field] for run in runs)

    share = statistics.median(spent / wall for wall, _, spent in shown_runs)
    calls = SPENT["calls"] // max(1, len(shown_runs) + 1)
    print(f"{model} ({info.width}x{info.height}), {args.sampler}, {args.steps} steps, batch {args.batch}, "
          f"{args.repeats} runs each way; load average {os.getloadavg()[0]:.2f}" + (f"; {note}" if note else ""))
    print("| measure | value | goal |\n|---|---|---|")
    print(f"| the dock's GUI-thread time / the run's time | {share:.2%} (~{calls} timed calls a run) | <= 1% |")
    print(f"| GUI-thread CPU, dock shown / hidden | {median(shown_runs, 1) / median(hidden_runs, 1):.3f} "
          f"({median(shown_runs, 1) * 1e3:.0f} / {median(hidden_runs, 1) * 1e3:.0f} ms) | |")
    added = (median(shown_runs, 1) - median(hidden_runs, 1)) / median(shown_runs, 0)
    print(f"| GUI-thread CPU the dock adds / the run's time | {added:.2%} | <= 1% |")
    print(f"| run time (click to Finished), dock shown / hidden | {median(shown_runs, 0) / median(hidden_runs, 0):.3f} "
          f"({median(shown_runs, 0):.2f} / {median(hidden_runs, 0):.2f} s) | <= 1.01 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
