"""A long window session driven by a fake engine: the view-model, the timeline and the viewer go
through many Step events (synthesized: no model), repainting on every step, then scrub back
through them. Run as a script (a fatal Qt error must not kill the test run); prints one JSON line.

    QT_QPA_PLATFORM=offscreen python -m tests.gui.long_session --steps 10000 --runs 5
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time

import numpy as np


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def fake_run(vm, app, recipe, steps: int, side: int, rng) -> None:
    from engine.events import Finished, Started, Step

    vm.begin_run(recipe)
    vm.on_event(Started(recipe, steps, (side, side, 1), "cpu", "float32", recipe.model))
    for index in range(steps):
        image = rng.integers(0, 256, (recipe.batch, side, side, 1), dtype=np.uint8)
        vm.on_event(Step(index, steps, float(steps - index), 1.0 / (index + 1), image, image, image, index * 1e-3))
        vm._flush()  # the worst case: a repaint per step (the real engine is coalesced to ~60 Hz)
        if index % 50 == 0:
            app.processEvents()  # paint what was asked for, as the event loop would
    vm.on_event(Finished(recipe, image, steps * 1e-3))
    vm.end_run()
    app.processEvents()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10_000, help="Step events in all")
    parser.add_argument("--runs", type=int, default=10)  # a recipe has at most 1,000 steps
    parser.add_argument("--side", type=int, default=8, help="preview size in pixels")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from engine.kinds import Family
    from engine.recipe import Recipe
    from gui.main_window import MainWindow
    from gui.style import apply_theme
    from gui.view_model import ViewModel

    app = QApplication(["noisescope-long-session"])
    apply_theme(app)
    vm = ViewModel()
    window = MainWindow(vm)
    window.resize(1024, 700)
    window.show()
    app.processEvents()
    rng = np.random.default_rng(0)
    recipe = Recipe(model="fake-diffusion", sampler="ddim", steps=args.steps // args.runs, batch=2,
                    family=Family.DIFFUSION)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    started = time.perf_counter()
    rss = []
    for _ in range(args.runs):
        fake_run(vm, app, recipe, args.steps // args.runs, args.side, rng)
        for step in range(len(vm.view) - 1, -1, -7):  # scrub back through the run by the timeline
            window.timeline.slider.setValue(step)
        app.processEvents()
        gc.collect()
        rss.append(round(rss_mb(), 1))
    result = {
        "steps": args.runs * (args.steps // args.runs), "seconds": round(time.perf_counter() - started, 1),
        "rss_mb": rss, "none_lost": none_before - sys.getrefcount(None),
        "true_lost": true_before - sys.getrefcount(True), "shown": len(vm.view),
        "timeline": window.timeline.info.text(), "alive": window.isVisible(),
    }
    print(json.dumps(result))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
