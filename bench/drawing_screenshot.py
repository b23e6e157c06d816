"""Screenshots of the Drawing dock: a digit drawn, encoded with the VAE, then used as the init image of
an image-to-image run of the digits diffusion model (mid-run and finished).

    DISPLAY=:97 .venv/bin/python -m bench.drawing_screenshot --out /tmp/shots [--size 1024x700]

Grabs the real window (QWidget.grab()). Settings and the history go to a temp folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from bench.screenshot_support import grab, open_studio, wait

SEVEN = [[(70.0, 72.0), (205.0, 68.0), (190.0, 110.0), (150.0, 170.0), (125.0, 232.0)], [(110.0, 150.0), (185.0, 150.0)]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--strength", type=float, default=0.6)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--dock-width", type=int, default=320, help="the right docks' width")
    parser.add_argument("--no-map", action="store_true", help="leave the Latent map dock closed")
    parser.add_argument("--label", default="7", help="the class to draw towards; 'none': unguided (3 panes)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    shot = open_studio()
    studio = shot.studio
    vm, window, drawing = studio.view_model, studio.window, studio.drawing
    shot.start(args.size)
    vm.form.restore_fields({"model": "digits-vae", "seed": 7, "seed_locked": True})
    drawing.show()
    window.resizeDocks([drawing.dock], [int(args.dock_width)], Qt.Orientation.Horizontal)
    latent_map = None if args.no_map else getattr(studio, "latent_map", None)
    if latent_map is not None:  # a plane of the VAE's latent space, for the drawing's z to be marked on
        latent_map.dock.show()
        wait(lambda: latent_map.view.plane is not None, timeout=60)
        drawing.show()
    for stroke in SEVEN:
        drawing.panel.canvas.stroke(stroke)
    drawing.panel.encode.click()
    wait(lambda: drawing.last_encoded is not None or "no encoder" in drawing.panel.message.text(), timeout=60)
    grab(window, args.out / "1-encoded.png")
    if latent_map is not None:  # the Latent map tab: where the drawing sits
        latent_map.dock.raise_()
        grab(window, args.out / "1b-on-the-latent-map.png")
        latent_map.dock.hide()  # its width is not needed for the run
        drawing.show()
    label = None if args.label == "none" else args.label
    vm.form.restore_fields({"model": "digits-diffusion", "label": label, "sampler": "ddim", "steps": args.steps,
                            "batch": args.batch})
    drawing.panel.strength.setValue(args.strength)
    drawing.panel.use.click()
    wait(lambda: vm.form.fields.init_image is not None, timeout=30)
    wait(lambda: vm.status.loaded_model == "digits-diffusion" or vm.status.error is not None, timeout=60)
    grab(window, args.out / "2-init-image-set.png")
    window.controls.generate.click()
    total = int(args.steps * args.strength)
    wait(lambda: len(vm.view) >= total // 2 or not vm.status.busy)
    grab(window, args.out / "3-img2img-mid-run.png")
    wait(lambda: not vm.status.busy)
    grab(window, args.out / "4-img2img-finished.png")
    trajectory = vm.view.trajectory
    print(f"outcome: {trajectory.outcome if trajectory else None}; steps: {trajectory.total_steps if trajectory else 0};"
          f" error: {vm.status.error}; drawing: {drawing.panel.message.text()}")
    shot.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
