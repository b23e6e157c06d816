"""Scrubbing a 4-way comparison (issue 10: the step shows in <= 16 ms).

Four synthetic runs of 512x512 RGB previews (20, 30, 25 and 15 steps, geometric sigmas), aligned by
noise level. Measures, offscreen: a position's frame built on the worker (gui/compare_frames.render:
the panes, one pair's |A-B| heat map and numbers); the GUI thread's time per slider move; and a
cached position shown (slider set + repaint of the five panes). Medians and maxima over positions.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.compare_scrub_bench
"""

from __future__ import annotations

import asyncio
import os
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def synthetic_run(steps: int, rng: np.random.Generator):
    from engine import Recipe
    from engine.events import Step
    from engine.kinds import Outcome
    from engine.trajectory import Trajectory

    def image():
        return rng.integers(0, 256, (1, 512, 512, 3), np.uint8)

    sigmas = np.geomspace(14, 0.03, steps)
    recorded = [Step(i, steps, 999.0 - i, float(s), image(), image(), None, 0.0) for i, s in enumerate(sigmas)]
    return Trajectory(recipe=Recipe(model="m", sampler="ddim", steps=steps), total_steps=steps, steps=recorded,
                      final=image(), outcome=Outcome.FINISHED)


def main() -> None:
    import qasync
    from PySide6.QtWidgets import QApplication

    from engine.compare.alignment import align
    from engine.compare.runs import CompareRun
    from gui.compare_frames import FrameKey, render
    from gui.compare_view import CompareView
    from gui.disk_worker import DiskWorker
    from gui.tasks import TaskKeeper

    rng = np.random.default_rng(0)
    runs = [synthetic_run(n, rng) for n in (20, 30, 25, 15)]
    alignment = align(runs)
    built = []
    for position in range(len(alignment)):
        started = time.perf_counter()
        render(runs, alignment, FrameKey("sigma", position, "x0", 0, (0, 1)))
        built.append(time.perf_counter() - started)

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    worker, tasks = DiskWorker("bench"), TaskKeeper(print)
    view = CompareView([CompareRun(t, str(i)) for i, t in enumerate(runs)], alignment, [], worker, tasks)
    view.resize(1280, 800)
    view.show()
    moves, cached = [], []

    async def scrub() -> None:
        for position in range(len(alignment)):
            started = time.perf_counter()
            view.slider.setValue(position)
            moves.append(time.perf_counter() - started)
            while not view.settled():
                await asyncio.sleep(0.001)
        for position in range(len(alignment) - 1, len(alignment) - 10, -1):
            started = time.perf_counter()
            view.slider.setValue(position)
            view.repaint()
            cached.append(time.perf_counter() - started)
        loop.stop()

    loop.create_task(scrub())
    loop.run_forever()
    worker.close()

    def ms(values) -> str:
        return f"median {np.median(values) * 1e3:.1f} ms, max {max(values) * 1e3:.1f} ms"

    print(f"4 runs of 512x512, {len(alignment)} positions; load average {os.getloadavg()[0]:.2f}")
    print(f"| frame built on the worker (one pair) | {ms(built)} | off the GUI thread |")
    print(f"| GUI thread per slider move | {ms(moves)} | never waits |")
    print(f"| cached position shown (set + repaint of 5 panes) | {ms(cached)} | goal <= 16 ms |")


if __name__ == "__main__":
    main()
