"""A long session in the real window with a real model: runs of up to 1,000 steps back to back until
--total steps were generated, each run scrubbed back; prints the memory after each run and the
worst GUI-thread stall. The test twin (fake engine, CI) is tests/gui/test_long_session.py.

    .venv/bin/python -m bench.gui_long_session [--model digits-diffusion] [--total 10000] [--batch 1]

Offscreen unless DISPLAY is set. Settings and history go to a temp folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.gui_bench import StallProbe, choose_model, wait  # noqa: E402
from tests.gui.long_session import rss_mb  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    parser.add_argument("--total", type=int, default=10_000, help="steps generated in all")
    parser.add_argument("--per-run", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--sampler", default="ddpm")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="noisescope-long-"))
    os.environ.setdefault("NOISESCOPE_DATA_DIR", str(scratch / "data"))
    model, note = choose_model(args.model, scratch)
    if note:
        print(note)

    import qasync

    app = QApplication(["noisescope-long-session"])
    asyncio_loop = qasync.QEventLoop(app, already_running=True)
    import asyncio

    asyncio.set_event_loop(asyncio_loop)
    from gui.app import build_studio
    from gui.style import apply_theme

    apply_theme(app)
    studio = build_studio(QSettings(str(scratch / "s.ini"), QSettings.Format.IniFormat))
    vm, window = studio.view_model, studio.window
    window.resize(1280, 800)
    window.show()
    studio.start()
    wait(app, lambda: bool(vm.form.models))
    vm.form.restore_fields({"model": model, "sampler": args.sampler, "steps": args.per_run, "batch": args.batch,
                            "seed": 1, "seed_locked": True})
    wait(app, lambda: vm.status.loaded_model == model or vm.status.error is not None)
    probe = StallProbe()
    probe.start()
    done, started = 0, time.perf_counter()
    print(f"model {model}, {args.per_run} steps a run, batch {args.batch}, {args.total} steps in all")
    while done < args.total:
        before = vm.view.trajectory
        window.controls.generate.click()
        wait(app, lambda before=before: vm.view.trajectory is not before and not vm.status.busy)
        ran = len(vm.view)
        if ran == 0:
            print(f"the run failed: {vm.status.error}")
            break
        done += ran
        for step in range(ran - 1, -1, -5):
            window.timeline.slider.setValue(step)
        app.processEvents()
        print(f"{done:6d} steps  {time.perf_counter() - started:7.1f} s  RSS {rss_mb():7.1f} MB  "
              f"worst stall {probe.worst_ms:6.1f} ms")
    probe.stop()
    alive = window.isVisible() and vm.status.error is None
    print(f"session {'clean' if alive else 'NOT clean'}: {done} steps in {time.perf_counter() - started:.1f} s")
    studio.close()
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())
