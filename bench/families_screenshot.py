"""Screenshots of the Families view in the real window: mid-run, finished, and scrubbed back.

    DISPLAY=:96 .venv/bin/python -m bench.families_screenshot --out /tmp/shots [--size 1024x700]

Grabs the window with QWidget.grab() (what is painted). Settings and the history go to a temp
folder. Writes families-WxH-mid.png, -done.png and -scrubbed.png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.screenshot_support import grab, open_studio, parse_size, wait


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--label", default="3")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--scrub", type=float, default=0.4, help="after the run, show this fraction of the steps")
    parser.add_argument("--no-main-run", action="store_true", help="leave the main viewer empty (no Generate first)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    shot = open_studio()
    studio = shot.studio
    vm, window, families = studio.view_model, studio.window, studio.families
    width, height = parse_size(args.size)
    shot.start(args.size)
    vm.form.restore_fields({"model": "digits-diffusion", "steps": args.steps, "label": args.label, "seed_locked": True})
    wait(lambda: vm.status.loaded_model is not None or vm.status.error is not None)
    if not args.no_main_run:  # the same digit generated in the main viewer first, as a person would
        vm.form.restore_fields({"seed": args.seed, "batch": args.count})
        window.controls.generate.click()
        wait(lambda: vm.view.trajectory is not None and not vm.status.busy)
    view = families.view
    view.label.setCurrentIndex(max(0, view.label.findData(args.label)))
    view.first_seed.setValue(args.seed)
    view.count.setValue(args.count)
    task = families.run_families()
    wait(lambda: bool(view.columns) and len(view.columns[0].view) >= args.steps // 2 or task.done())
    stem = f"families-{width}x{height}"
    grab(window, args.out / f"{stem}-mid.png")
    wait(task.done)
    wait(lambda: False, timeout=0.3)  # the last repaint
    window.grab().save(str(args.out / f"{stem}-done.png"))
    view.slider.setValue(int(args.scrub * view.slider.maximum()))
    grab(window, args.out / f"{stem}-scrubbed.png")
    print(f"states: {[c.state for c in view.columns]}; error: {vm.status.error}")
    print("widths (minimum, now): central", window.centralWidget().minimumSizeHint().width(),
          window.centralWidget().width(), "recipe", window.controls_dock.minimumSizeHint().width(),
          window.controls_dock.width(), "families", families.dock.minimumSizeHint().width(), families.dock.width())
    shot.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
