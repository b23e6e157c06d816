"""Screenshots of the gallery and export dialog in the real window, after two runs.

    DISPLAY=:99 NOISESCOPE_DATA_DIR=/tmp/ns-look .venv/bin/python -m bench.gallery_screenshot --out /tmp/shots

Uses the history in NOISESCOPE_DATA_DIR (give it a scratch folder: the runs are recorded there)
and temp settings. Grabs with QWidget.grab(), so what is painted is what is saved.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.screenshot_support import grab, open_studio, wait


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", default="digits-diffusion")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", default="1400x860")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    shot = open_studio(temp_history=False)  # the history of NOISESCOPE_DATA_DIR
    studio, scratch = shot.studio, shot.scratch
    vm, window, wiring = studio.view_model, studio.window, studio.history
    shot.start(args.size)
    wait(lambda: wiring.gallery is not None)
    recorded: list[int] = []
    wiring.recorded.connect(recorded.append)
    for seed, label in ((7, "3"), (8, "5")):
        info = vm.form.model_info(args.model)
        vm.form.restore_fields({"model": args.model, "sampler": "dpmpp_2m", "steps": args.steps, "batch": args.batch,
                           "seed": seed, "seed_locked": True,
                           "label": label if info and info.labels and label in info.labels else None})
        count = len(recorded)
        window.controls.generate.click()
        wait(lambda c=count: len(recorded) > c or vm.status.error is not None)
    grab(window, args.out / "1-gallery.png")

    studio.exports.action.trigger()
    dialog = studio.exports.dialog
    wait(lambda: dialog.isVisible())
    grab(dialog, args.out / "2-export-dialog.png")
    dialog.formats["trajectory"].setChecked(True)  # one checkbox per export format, by its id
    dialog.folder.setText(str(Path(scratch.name) / "exports"))
    written: list = []
    studio.exports.exported.connect(written.append)
    dialog.export_button.click()
    wait(lambda: bool(written) or vm.status.error is not None)
    grab(window, args.out / "3-exported.png")

    wiring.gallery.select_run(recorded[-1])
    wiring.gallery.open_selected()
    wait(lambda: window.statusBar().currentMessage().startswith("Run ") or vm.status.error is not None)
    vm.playhead.set_step(args.steps // 3)
    grab(window, args.out / "4-opened-and-scrubbed.png")
    print(f"runs recorded: {recorded}; files exported: {[f.path.name for f in written[0]] if written else None}; "
          f"error: {vm.status.error}")
    shot.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
