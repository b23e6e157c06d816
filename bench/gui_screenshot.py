"""Screenshots of the real window: mid-run and after. For docs and for looking at it.

    DISPLAY=:99 .venv/bin/python -m bench.gui_screenshot --out /tmp/shots [--model digits-diffusion]

Grabs the window with QWidget.grab() (what is painted, not a mock-up). Settings and the history go
to a temp folder, so a person's own settings and gallery are untouched. After the run it opens an
earlier run from the gallery (5-gallery.png) and shows Help > About (6-about.png).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.screenshot_support import grab, open_studio, parse_size, wait


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model")
    parser.add_argument("--models-folder", type=Path, action="append", default=[],
                        help="also offer the models in this folder (e.g. a Stable Diffusion folder)")
    parser.add_argument("--prompt", default="a watercolour lighthouse at dusk")
    parser.add_argument("--sampler", default="dpmpp_2m")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--label", default="3")
    parser.add_argument("--mid", type=int, default=8, help="grab mid-run after this many steps")
    parser.add_argument("--scrub", type=int, default=None, help="after the run, show this step")
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--seed", type=int, default=3141592653, help="a long seed: is it all visible?")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from engine.config_file import add_session_models_folder

    for folder in args.models_folder:
        add_session_models_folder(folder)

    shot = open_studio()  # a fresh history: the gallery shows these runs
    studio = shot.studio
    vm, window = studio.view_model, studio.window
    window.resize(*parse_size(args.size))
    window.show()
    wait(lambda: window.isVisible())
    window.grab().save(str(args.out / "0-starting.png"))
    studio.start()
    wait(lambda: bool(vm.form.models))
    model = args.model or vm.form.fields.model
    info = vm.form.model_info(model)
    if info is None:
        print(f"no model {model!r}: {', '.join(m.name for m in vm.form.models)} (--models-folder?)", file=sys.stderr)
        return 2
    label = args.label if info and info.labels and args.label in info.labels else None
    vm.form.restore_fields({"model": model, "sampler": args.sampler, "steps": args.steps, "batch": args.batch,
                            "seed": args.seed, "seed_locked": True, "label": label,
                            **({"prompt": args.prompt} if info.takes_text else {})})
    wait(lambda: vm.status.loaded_model == model or vm.status.error is not None)
    window.grab().save(str(args.out / "1-ready.png"))
    window.controls.generate.click()
    wait(lambda: len(vm.view) >= min(args.mid, max(1, args.steps - 1)) or not vm.status.busy)
    grab(window, args.out / "2-mid-run.png")
    wait(lambda: not vm.status.busy)
    grab(window, args.out / "3-finished.png")
    if args.scrub is not None:
        vm.playhead.set_step(args.scrub)
        grab(window, args.out / "4-scrubbed.png")
    outcome = vm.view.trajectory.outcome if vm.view.trajectory else None
    history = studio.history
    wait(lambda: history.gallery is not None and history.gallery.model.rowCount() >= 1, timeout=30)
    if history.gallery is not None:
        vm.form.set_field("steps", max(args.steps, 200))  # a second run, cancelled part-way
        window.controls.generate.click()
        wait(lambda: len(vm.view) >= 5 or not vm.status.busy)
        window.controls.cancel.click()
        wait(lambda: not vm.status.busy and history.gallery.model.rowCount() >= 2, timeout=60)
        first = history.gallery.model.run_at(history.gallery.model.rowCount() - 1)
        history.gallery.select_run(first.id)
        history.gallery.open_selected()
        wait(lambda: "history" in window.run_caption.text(), timeout=30)
        grab(window, args.out / "5-gallery.png")
    window.show_about()
    wait(lambda: window.about.isVisible(), timeout=10)
    grab(window.about, args.out / "6-about.png")
    window.about.close()
    print(f"outcome: {outcome}; error: {vm.status.error}")
    shot.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
