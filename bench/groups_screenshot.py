"""Screenshots of the Gallery after a Families run and after an interpolation, in the real window:
each is one group in the history, its runs captioned with their place in it.

    DISPLAY=:96 .venv/bin/python -m bench.groups_screenshot --out /tmp/shots [--size 1280x800]

Settings and the history go to a temp folder. Writes groups-WxH-families.png (the Gallery raised,
all runs), -families-filtered.png (the group filter on the families), -interpolation.png (the
interpolation window and the Gallery filtered to its frames by its Show in Gallery button).
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
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    shot = open_studio()
    studio = shot.studio
    vm, window, history = studio.view_model, studio.window, studio.history
    width, height = parse_size(args.size)
    stem = f"groups-{width}x{height}"
    shot.start(args.size)
    wait(lambda: history.gallery is not None)
    vm.form.restore_fields({"model": "digits-diffusion", "steps": args.steps, "label": "3", "seed_locked": True,
                            "sampler": "ddim"})
    families = studio.families
    families.view.label.setCurrentIndex(max(0, families.view.label.findData("3")))
    families.view.first_seed.setValue(7)
    families.view.count.setValue(4)
    task = families.run_families()
    wait(task.done)
    wait(lambda: "in the Gallery as families #" in window.statusBar().currentMessage(), timeout=30)
    history.dock.show()
    history.dock.raise_()  # a tab beside the Families dock
    wait(lambda: False, timeout=0.5)
    grab(window, args.out / f"{stem}-families.png")
    (group,) = history.history.list_sweeps()
    refreshed = history.gallery.show_sweep(group.id)
    wait(lambda: refreshed is None or refreshed.done())
    wait(lambda: False, timeout=0.3)
    grab(window, args.out / f"{stem}-families-filtered.png")
    print("families:", group.title(), [history.gallery.model.data(history.gallery.model.index(row))
                                       for row in range(history.gallery.model.rowCount())])

    wiring = studio.interpolate
    wiring.action.trigger()
    dialog = wiring.dialog
    wait(dialog.isVisible)
    dialog.between.setValue(3)
    dialog.seeds.setText("7, 8")
    dialog.run_button.click()
    wait(lambda: not wiring.running)
    wait(lambda: "In the Gallery as interpolation #" in dialog.note.text(), timeout=30)
    groups = history.history.list_sweeps()
    wait(dialog.gallery_button.isEnabled)
    dialog.gallery_button.click()  # as a person would: Show in Gallery
    wait(lambda: history.gallery.sweep_filter.currentData() == groups[0].id)
    wait(lambda: False, timeout=0.3)
    grab(dialog, args.out / f"{stem}-interpolation-dialog.png")
    grab(window, args.out / f"{stem}-interpolation.png")
    print("interpolation:", groups[0].title(), dialog.note.text())
    print("error:", vm.status.error)
    shot.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
