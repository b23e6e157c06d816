"""Latent map: drag to frame shown for the bundled VAE and GAN on the CPU (issue 11: <= 33 ms).

The real window, offscreen, with its engine thread: the Latent map dock is opened on the model, its
plane drawn, then a drag is played into the map as mouse events (press, a move every `--interval`
ms, release). For each move that got its own frame, the time from the move event to the sample's
paint (the decode on the engine thread, the hand-back, the QImage, the repaint) is the latency.
Moves passed over while a decode ran are dropped (counted), as the window does. Also measured in the
same run: the bare decode of one latent (no GUI), and the 9 x 9 grid's decode, for comparison.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.latent_map_bench [--moves 200] [--interval 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
GOAL_S = 0.033


def drag(app, canvas, moves: int, interval_s: float) -> None:
    """Press, `moves` moves along a loop through the map at one every interval, release."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent

    def send(kind, u: float, v: float) -> None:
        at = canvas.to_widget(u, v)
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
        event = QMouseEvent(kind, QPointF(at), canvas.mapToGlobal(QPointF(at)), Qt.MouseButton.LeftButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        app.sendEvent(canvas, event)

    from PySide6.QtCore import QEventLoop, QTimer

    path = [(0.9 * np.cos(a), 0.9 * np.sin(2 * a)) for a in np.linspace(0, 2 * np.pi, moves)]
    send(QEvent.Type.MouseButtonPress, *path[0])
    # A timer delivers the moves, so the event loop sleeps between them as it does under a real mouse
    # (spinning processEvents here would take the CPU and the GIL from the engine thread).
    remaining, loop, timer = list(path[1:]), QEventLoop(), QTimer(interval=max(1, round(interval_s * 1000)))

    def next_move() -> None:
        if not remaining:
            timer.stop()
            loop.quit()
            return
        send(QEvent.Type.MouseMove, *remaining.pop(0))

    timer.timeout.connect(next_move)
    timer.start()
    loop.exec()
    send(QEvent.Type.MouseButtonRelease, *path[-1])


def bare_decode(name: str, label: str | None, repeats: int = 200) -> tuple[float, float]:
    """(one latent, the 9x9 grid) decode times, median seconds, on this thread (no GUI)."""
    import torch

    from engine.latent_map.make import decode_grid, decode_latents, make_plane
    from engine.model_cache import ModelCache
    from engine.models.catalog import find_model

    model = ModelCache().get(find_model(name), torch.device("cpu"), torch.float32)
    plane = make_plane(model, "random", 0, label)
    z = np.zeros((1, model.latent_dim), np.float32)
    one, grid = [], []
    for _ in range(repeats):
        began = time.perf_counter()
        decode_latents(model, z, label)
        one.append(time.perf_counter() - began)
    for _ in range(10):
        began = time.perf_counter()
        decode_grid(model, plane, 9)
        grid.append(time.perf_counter() - began)
    return float(np.median(one)), float(np.median(grid))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--interval", type=float, default=8.0, help="ms between mouse moves (a 125 Hz mouse: 8)")
    args = parser.parse_args(argv)
    scratch = tempfile.TemporaryDirectory(prefix="noisescope-bench-")
    os.environ.setdefault("NOISESCOPE_DATA_DIR", scratch.name)
    import qasync
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from bench.screenshot_support import wait
    from gui.app import build_studio

    app = QApplication(["noisescope-bench"])
    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    studio = build_studio(QSettings(str(Path(scratch.name) / "s.ini"), QSettings.Format.IniFormat))
    vm, wiring = studio.view_model, studio.latent_map
    assert wiring is not None
    studio.window.resize(1280, 800)
    studio.window.show()
    studio.start()
    wait(lambda: bool(vm.form.models))
    wiring.dock.toggleViewAction().trigger()
    rows = []
    for name, label in (("digits-vae", None), ("digits-gan", "3")):
        vm.form.set_field("model", name)
        wiring.refresh()
        wait(lambda name=name: wiring.model == name and wiring.ready and wiring.points.idle,
             120)
        sample = wiring.view.sample
        wait(lambda: not wiring.view.sample.asked_at, 5)
        sample.latencies.clear()
        dropped = wiring.points.dropped
        began = time.perf_counter()
        drag(app, wiring.view.canvas, args.moves, args.interval / 1000)
        wait(lambda: wiring.points.idle and wiring.view.sample.asked_at is None, 10)
        app.processEvents()
        seconds = time.perf_counter() - began
        latencies = np.array(sample.latencies)
        one, grid = bare_decode(name, label)
        rows.append((name, latencies, wiring.points.dropped - dropped, seconds, one, grid))
    studio.close()

    print(f"bundled models on the CPU ({os.cpu_count()} cores), {args.moves} moves, one every {args.interval:g} ms; "
          f"load average {os.getloadavg()[0]:.2f}")
    print("| model | frames | dropped moves | drag to frame shown: median | p95 | max | median / 33 ms goal | "
          "bare decode of 1 | 9x9 grid decode |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, latencies, dropped, _, one, grid in rows:
        p50, p95, top = (float(np.percentile(latencies, q)) * 1e3 for q in (50, 95, 100))
        print(f"| {name} | {len(latencies)} | {dropped} | {p50:.1f} ms | {p95:.1f} ms | {top:.1f} ms | "
              f"{p50 / (GOAL_S * 1e3):.2f} | {one * 1e3:.2f} ms | {grid * 1e3:.1f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
