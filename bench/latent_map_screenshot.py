"""Screenshots of the Latent map dock in the real window: the VAE's principal plane, the GAN's plane
for one class, and the diffusion seed plane after a release (the full run in the viewer).

    DISPLAY=:98 .venv/bin/python -m bench.latent_map_screenshot --out /tmp/shots [--size 1280x800]

Grabs the window with QWidget.grab() (what is painted). Settings and the history go to a temp folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.screenshot_support import grab, open_studio, wait


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--families", default="vae,gan,diffusion")
    parser.add_argument("--marker", action="store_true", help="mark a latent on the VAE's map, as the drawing does")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    shot = open_studio()
    studio = shot.studio
    vm, window, wiring = studio.view_model, studio.window, studio.latent_map
    assert wiring is not None
    shot.start(args.size)
    wiring.dock.toggleViewAction().trigger()
    view = wiring.view
    for family in args.families.split(","):
        model = {"vae": "digits-vae", "gan": "digits-gan", "diffusion": "digits-diffusion"}[family]
        vm.form.set_field("model", model)
        if family == "diffusion":
            vm.form.set_field("label", "3")
        wait(lambda family=family, model=model: view.family == family and wiring.model == model, 60)
        if family == "vae":
            studio.controller.generate()  # the viewer shows a batch of the same model beside the map
            wait(lambda: not vm.status.busy, 60)
            view.kind.setCurrentIndex(view.kind.findData("principal"))
        if family == "gan":
            view.label.setCurrentIndex(view.label.findData("3"))
            view.kind.setCurrentIndex(view.kind.findData("principal"))
        wiring.refresh()
        wait(lambda: wiring.ready and wiring.points.idle, 120)
        view.canvas.set_point(0.35, -0.4)
        wiring.drag(0.35, -0.4)
        wait(lambda: wiring.points.idle, 60)
        if family == "diffusion":
            wait(lambda: wiring.grid_task is None or wiring.grid_task.done(), 300)
            wiring.release(0.35, -0.4)
            wait(lambda: vm.status.busy, 30)
            wait(lambda: not vm.status.busy, 300)
        if args.marker and family == "vae" and view.plane is not None:  # what the drawing canvas will do: a marker at a latent
            from engine.latent_map.plane import point

            view.show_latent(point(view.plane, -0.6, 0.55), "your drawing")
        print(grab(window, args.out / f"latent-map-{family}-{args.size}.png"), view.note.text())
    shot.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
