"""Screenshots of Run > Sweep… with its grid: mid-sweep and finished, at each size asked for.

    DISPLAY=:99 .venv/bin/python -m bench.sweep_screenshot --out /tmp/shots [--size 1024x700 --size 1280x800]

The bundled digits model, a label, X = steps and Y = sampler (A1111's classic plot). Grabs the
sweep window and the main window with QWidget.grab(); settings and the history go to a temp
folder. Prints the sweep's time and where each picture went.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.screenshot_support import grab, open_studio, parse_size, wait


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", default="digits-diffusion")
    parser.add_argument("--label", default="3")
    parser.add_argument("--x", default="steps=4, 8, 16, 32")
    parser.add_argument("--y", default="sampler=DDIM, Euler a, DPM++ 2M")
    parser.add_argument("--size", action="append", default=[], help="WxH of the sweep window (repeatable)")
    parser.add_argument("--ray-workers", type=int, help="run on a local Ray with this many workers")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = args.size or ["1024x700", "1280x800"]
    shot = open_studio("noisescope-sweep-shot-")
    studio = shot.studio
    vm, window = studio.view_model, studio.window
    shot.start()
    vm.form.restore_fields({"model": args.model, "label": args.label, "seed": 1234, "seed_locked": True, "batch": 1})
    wait(lambda: vm.status.loaded_model == args.model or vm.status.error is not None)
    wait(lambda: studio.history.gallery is not None, timeout=30)
    sweep = studio.sweep
    dialog = sweep.open()
    for name, text in (("x", args.x), ("y", args.y)):
        field, _, values = text.partition("=")
        dialog.axes.set_axis(name, field.strip(), values.strip())
    if args.ray_workers:
        dialog.cluster.kind.setCurrentIndex(dialog.cluster.kind.findData("local-ray"))
        dialog.cluster.workers.setValue(args.ray_workers)
    dialog.resize(*parse_size(sizes[0]))
    dialog.run_button.click()
    wait(lambda: len(sweep.images) >= len(sweep.plan.cells) // 2 or not sweep.running)
    grab(dialog, args.out / f"sweep-mid-{sizes[0]}.png")
    wait(lambda: not sweep.running and not sweep._drawing)
    wait(lambda: len(sweep.run_ids) == len(sweep.images), timeout=30)
    for size in sizes:
        width, height = parse_size(size)
        dialog.resize(width, height)
        wait(lambda w=width: dialog.width() == w, timeout=2)
        print(grab(dialog, args.out / f"sweep-grid-{size}.png"))
    gallery = studio.history.gallery
    gallery.sweep_filter.setCurrentIndex(1)  # the newest sweep: its cells in the gallery
    wait(lambda: gallery.model.rowCount() == len(sweep.images), timeout=30)
    sweep.open_cell(len(sweep.plan.cells) - 1)
    wait(lambda: vm.view.trajectory is not None and vm.view.trajectory.recipe == sweep.recipes[len(sweep.plan.cells) - 1],
         timeout=30)
    window.resize(1280, 800)
    grab(window, args.out / "sweep-cell-opened.png")
    print(f"{dialog.note.text()} error: {vm.status.error}")
    shot.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
