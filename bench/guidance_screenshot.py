"""Screenshot of a guided run's three guidance panes (conditional and unconditional noise, guidance x
their difference; with --label none, autoguidance: the model's and its guide's noise), shown with the
viewer's Guidance button. For docs and for looking at it.

    DISPLAY=:99 .venv/bin/python -m bench.guidance_screenshot --out /tmp/shots [--size 1280x800] [--label none]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.screenshot_support import grab, open_studio, wait


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--label", default="5", help="a class, or none: autoguided by the model's guide")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--scrub", type=int, default=8, help="show this step after the run")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    shot = open_studio("noisescope-guidance-")
    studio = shot.studio
    shot.start(args.size)
    vm = studio.view_model
    label = None if args.label.lower() in ("", "none") else args.label
    vm.form.restore_fields({"model": "digits-diffusion", "steps": args.steps, "label": label, "batch": 4,
                            "seed": 11, "seed_locked": True})
    studio.window.controls.generateRequested.emit()
    wait(lambda: vm.status.busy)
    wait(lambda: not vm.status.busy)
    studio.window.viewer.guidance_button.click()
    vm.playhead.reset(args.scrub, following=False)
    path = grab(studio.window, args.out / f"guidance-{'nolabel' if label is None else 'label'}-{args.size}.png")
    print(f"wrote {path}")
    shot.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
