"""GUI figures: stalls, click to first frame, scrub, window vs headless. Prints a table.

    .venv/bin/python -m bench.gui_bench [--model NAME] [--steps 30] [--batch 8] [--repeats 3]

Measures on the bundled digits-diffusion when it is there, else on a tiny test model. Runs in
the real window (offscreen unless DISPLAY is set). Not a test: the figures depend on the machine
and on what else it is doing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

PROBE_MS = 5


class StallProbe:
    """A 5 ms timer on the GUI thread; its lateness is how long the GUI thread was busy."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(self._tick)
        self.worst_ms = 0.0
        self._last = 0.0

    def start(self) -> None:
        self.worst_ms, self._last = 0.0, time.perf_counter()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.worst_ms

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst_ms = max(self.worst_ms, (now - self._last) * 1000 - PROBE_MS)
        self._last = now


def wait(app: QApplication, condition, timeout: float = 600.0) -> None:
    """Run the Qt event loop until condition() holds. It blocks in the loop between checks
    (no busy polling), so the GUI thread does not hog the GIL and slow the worker down."""
    if condition():
        return
    deadline = time.perf_counter() + timeout
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(10)  # timings come from timestamps taken where things happen, not from polling

    def check():
        if condition() or time.perf_counter() > deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    if not condition():
        raise TimeoutError("bench step timed out")


def headless_run(recipe, cache) -> float:
    """Wall time of one run with no GUI at all, consuming every event on a plain thread."""
    from engine.run import run

    result = {}

    def work():
        started = time.perf_counter()
        for event in run(recipe, threading.Event(), cache=cache):
            last = event
        result["s"] = time.perf_counter() - started
        result["last"] = type(last).__name__

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert result["last"] == "Finished", result
    return result["s"]


def choose_model(requested: str | None, scratch: Path) -> tuple[str, str | None]:
    from engine.paths import bundled_models_dir

    if requested:
        return requested, None
    if (bundled_models_dir() / "digits-diffusion").is_dir():
        return "digits-diffusion", None
    from tests.factories import tiny_diffusion

    root = scratch / "assets"
    (root / "models").mkdir(parents=True)
    tiny_diffusion(root / "models", "tiny-diffusion")
    os.environ["NOISESCOPE_ASSETS"] = str(root)
    return "tiny-diffusion", "digits-diffusion not found: measured on a tiny 8x8 test model"


def startup_only() -> int:
    """In a fresh process: window shown, models listed, model preloaded (seconds since start)."""
    t0 = time.perf_counter()
    app = QApplication(["gui_bench"])
    import asyncio

    import qasync

    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    from gui.app import build_studio
    from gui.style import apply_theme

    apply_theme(app)
    ini = Path(os.environ["NOISESCOPE_DATA_DIR"]) / "startup.ini"
    studio = build_studio(QSettings(str(ini), QSettings.Format.IniFormat))
    studio.window.show()
    app.processEvents()
    shown = time.perf_counter() - t0
    torch_loaded_at_show = "torch" in sys.modules
    studio.start()
    wait(app, lambda: bool(studio.view_model.form.models))
    listed = time.perf_counter() - t0
    wait(app, lambda: studio.view_model.status.loaded_model is not None or studio.view_model.status.error is not None)
    ready = time.perf_counter() - t0
    studio.close()
    print(f"STARTUP {shown:.3f} {listed:.3f} {ready:.3f} {int(torch_loaded_at_show)}")
    return 0


def measure_startup() -> tuple[float, float, float, bool]:
    import subprocess

    out = subprocess.run([sys.executable, "-m", "bench.gui_bench", "--startup-only"], capture_output=True,
                         text=True, env=dict(os.environ), check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("STARTUP"))
    shown, listed, ready, torch_early = line.split()[1:]
    return float(shown), float(listed), float(ready), torch_early == "1"


def main(argv: list[str] | None = None) -> int:
    if argv is None and "--startup-only" in sys.argv:
        return startup_only()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--sampler", default="dpmpp_2m")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="noisescope-gui-bench-") as scratch:
        os.environ["NOISESCOPE_DATA_DIR"] = str(Path(scratch) / "data")
        return bench(args, Path(scratch))


def bench(args: argparse.Namespace, scratch: Path) -> int:
    model, note = choose_model(args.model, scratch)
    startup = measure_startup()
    app = QApplication.instance() or QApplication(["gui_bench"])
    import asyncio

    import qasync

    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    from gui.app import build_studio
    from gui.style import apply_theme

    apply_theme(app)
    settings = QSettings(str(scratch / "bench.ini"), QSettings.Format.IniFormat)
    studio = build_studio(settings)
    vm, window = studio.view_model, studio.window
    window.resize(1280, 800)
    window.show()
    studio.start()
    wait(app, lambda: bool(vm.form.models))
    info = vm.form.model_info(model)
    if info is None:
        print(f"model {model!r} not found", file=sys.stderr)
        return 1
    label = info.labels[3] if info.labels else None
    vm.form.restore_fields({"model": model, "sampler": args.sampler, "steps": args.steps, "batch": args.batch,
                            "seed": 1, "seed_locked": True, "label": label})
    wait(app, lambda: vm.status.loaded_model == model)  # preloaded on the worker
    canvas = window.viewer.canvases["x_t"]
    probe = StallProbe()

    from engine.model_cache import ModelCache

    recipe = vm.form.build_recipe()
    headless_cache = ModelCache()
    headless_run(recipe.replace(steps=2), headless_cache)  # warm both caches
    window.controls.generate.click()
    wait(app, lambda: vm.view.trajectory is not None and vm.view.trajectory.outcome != "running" and not vm.status.busy)

    window_s, headless_s, first_frame_ms, step_ms, stalls, gui_cpu = [], [], [], [], [], []
    for repeat in range(args.repeats):
        if repeat % 2 == 0:  # alternate the order, so neither side always runs first
            headless_s.append(headless_run(recipe, headless_cache))
        painted_before = canvas.painted_image_at
        probe.start()
        cpu_before = time.thread_time()  # CPU used by the GUI thread itself
        clicked = time.perf_counter()
        window.controls.generate.click()
        wait(app, lambda before=painted_before: canvas.painted_image_at > before and len(vm.view) > 0)
        first_frame_ms.append((canvas.painted_image_at - clicked) * 1000)
        wait(app, lambda: vm.view.trajectory.outcome != "running" and not vm.status.busy)
        window_s.append(time.perf_counter() - clicked)
        gui_cpu.append(time.thread_time() - cpu_before)
        stalls.append(probe.stop())
        steps = vm.view.trajectory.steps
        step_ms.append(statistics.median(b.elapsed_s - a.elapsed_s for a, b in zip(steps, steps[1:])) * 1000)
        assert vm.view.trajectory.outcome == "finished", vm.status.error
        if repeat % 2 == 1:
            headless_s.append(headless_run(recipe, headless_cache))

    # what the probe and the polling cost on their own: the same harness, one idle second
    probe.start()
    cpu_before, idle_started = time.thread_time(), time.perf_counter()
    wait(app, lambda: time.perf_counter() - idle_started > 1.0)
    harness_cpu_per_s = (time.thread_time() - cpu_before) / (time.perf_counter() - idle_started)
    probe.stop()

    scrub_ms = []
    count = len(vm.view)
    order = [(i * 7919) % count for i in range(60)]
    for step in order:
        app.processEvents()
        t0 = time.perf_counter()
        vm.playhead.set_step(step)
        for pane in window.viewer.canvases.values():
            if pane.isVisible():
                pane.repaint()  # synchronous: the frame is on screen when it returns
        scrub_ms.append((time.perf_counter() - t0) * 1000)

    studio.close()
    ratio = statistics.median(window_s) / statistics.median(headless_s)
    rows = [
        ("model", f"{model} ({info.width}x{info.height}x{info.channels}), {args.sampler}, {args.steps} steps, "
                  f"batch {args.batch}" + (f", class {label} (CFG)" if label else "")),
        ("fresh process: window shown / models listed / model loaded",
         f"{startup[0]:.2f} s / {startup[1]:.2f} s / {startup[2]:.2f} s"
         + ("" if not startup[3] else "  (torch was imported before the window showed!)")),
        ("one step (engine timestamps, median)", f"{statistics.median(step_ms):.1f} ms"),
        ("GUI-thread longest stall during a run (worst of runs)", f"{max(stalls):.1f} ms   (goal <= 16)"),
        ("click -> first frame painted, warm (median)", f"{statistics.median(first_frame_ms):.1f} ms   "
                                                         f"(goal <= one step + 50 = "
                                                         f"{statistics.median(step_ms) + 50:.0f})"),
        ("scrub -> step painted (median / worst of 60)", f"{statistics.median(scrub_ms):.2f} / "
                                                          f"{max(scrub_ms):.2f} ms   (goal <= 16)"),
        ("run in window / headless (median of each)", f"{statistics.median(window_s):.3f} s / "
                                                       f"{statistics.median(headless_s):.3f} s = {ratio:.3f}   "
                                                       "(goal <= 1.03)"),
        ("GUI-thread CPU per run, incl. the bench's probe and polling",
         f"{statistics.median(gui_cpu) * 1000:.0f} ms = {statistics.median(gui_cpu) / statistics.median(window_s):.1%}"
         f" of the run; harness alone {harness_cpu_per_s * 1000:.0f} ms/s"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"(repeats: {args.repeats}; platform: {app.platformName()}; cores: {os.cpu_count()})")
    if note:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
