"""Screenshots of "Branch from this step" in the real window: a run, a branch of it with another
sampler and label from a step in the middle, and the gallery showing the run's family.

    DISPLAY=:99 .venv/bin/python -m bench.branch_screenshot --out /tmp/shots

Settings and the history go to a temp folder (bench/gui_screenshot.py does the same).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.screenshot_support import grab, open_studio, wait


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--from-step", type=int, default=4, help="0-based, as the recipe counts")
    parser.add_argument("--size", default="1280x800")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    shot = open_studio("noisescope-branch-shot-")
    studio = shot.studio
    vm, window, history = studio.view_model, studio.window, studio.history
    shot.start(args.size)
    vm.form.restore_fields({"model": "digits-diffusion", "sampler": "dpmpp_2m", "steps": args.steps, "batch": 8,
                            "label": "3", "seed": 1234, "seed_locked": True})
    wait(lambda: vm.status.loaded_model == "digits-diffusion" or vm.status.error is not None)
    window.controls.generate.click()
    wait(lambda: not vm.status.busy)
    wait(lambda: history.gallery is not None and history.gallery.model.rowCount() >= 1, timeout=30)
    vm.playhead.set_step(args.from_step)
    vm.form.restore_fields({"sampler": "euler", "label": "8"})
    grab(window, args.out / "branch-0-before.png")
    clicked = time.perf_counter()
    studio.branch.action.trigger()
    wait(lambda: len(vm.view) >= 1 or not vm.status.busy)
    first_frame = time.perf_counter() - clicked
    wait(lambda: not vm.status.busy)
    wait(lambda: history.gallery.model.rowCount() >= 2 and "branch of run" in window.run_caption.toolTip(), timeout=30)
    grab(window, args.out / "branch-1-after.png")
    branch_id = history.gallery.model.run_at(0).id
    history.gallery.select_run(branch_id)
    history.gallery.branches_only.setChecked(True)
    wait(lambda: history.gallery.model.rowCount() == 2 and not history.gallery.model.loading, timeout=30)
    grab(window, args.out / "branch-2-family.png")
    trajectory = vm.view.trajectory
    print(f"branch: {trajectory.outcome}, {len(trajectory)} steps, first frame {first_frame * 1000:.0f} ms after "
          f"the click; caption: {window.run_caption.toolTip()}; error: {vm.status.error}")
    shot.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
