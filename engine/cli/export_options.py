"""The export flags of `noisescope generate`, and the ExportPlan they describe.

`--export FORMAT` takes any id in the export registry (engine/export/formats/registry.py), so a
new format is on the command line without a change here; `--grid`, `--animation`, `--sheet` and
`--trajectory` are the older spellings of the same choices and keep working.
"""

from __future__ import annotations

from engine.cli.common import UsageError
from engine.errors import NoisescopeError
from engine.export.animation import VIEWS as ANIMATION_VIEWS
from engine.export.animation import AnimationOptions
from engine.export.formats import registry
from engine.export.formats.base import Kind
from engine.export.plan import ExportPlan


def add_export_options(parser) -> None:
    formats = registry.formats()
    animations = [f.id for f in formats if f.kind is Kind.ANIMATION]
    group = parser.add_argument_group("exports", "files written next to the PNGs, each carrying the recipe")
    group.add_argument("--export", action="append", choices=[f.id for f in formats], default=[], metavar="FORMAT",
                       help="also write this format (repeatable): "
                            + "; ".join(f"{f.id}: {f.label}" for f in formats if f.id != "png"))
    group.add_argument("--animation", action="append", choices=animations, default=[], metavar="FORMAT",
                       help=f"the denoising as an animation: {', '.join(animations)} (repeatable)")
    group.add_argument("--view", choices=ANIMATION_VIEWS, default="x_t",
                       help="what the animation shows: x_t (noisy sample), x0 (predicted image) or both")
    group.add_argument("--frame-ms", type=int, default=AnimationOptions.frame_ms, help="ms per animation frame")
    group.add_argument("--hold-ms", type=int, default=AnimationOptions.hold_ms, help="ms to hold the last frame")
    group.add_argument("--scale", type=int, help="integer upscale of animation frames (default: readable size)")
    group.add_argument("--sample", type=int,
                       help="animate, sheet and zip this sample (0-based) instead of the grid")
    group.add_argument("--sheet", action="store_true", help="a contact sheet: every k-th step, labelled")
    group.add_argument("--sheet-every", type=int, metavar="K", help="the sheet's k (default: about ten steps across)")
    group.add_argument("--grid", action="store_true", help="the batch as one PNG grid")
    group.add_argument("--trajectory", action="store_true",
                       help="the whole run as a .trajectory.safetensors file, to scrub and export later")
    group.add_argument("--no-history", dest="history", action="store_false", help="do not record the run in history")


def export_plan_from_args(args) -> ExportPlan:
    """The plan the flags ask for: the sample PNGs always, then every format named."""
    chosen = ["png", *(["grid"] if args.grid else []), *args.animation, *(["sheet"] if args.sheet else []),
              *(["trajectory"] if args.trajectory else []), *args.export]
    try:
        return ExportPlan(
            formats=tuple(chosen), sheet_every=args.sheet_every, sheet_sample=args.sample or 0,
            animation=AnimationOptions(view=args.view, frame_ms=args.frame_ms, hold_ms=args.hold_ms,
                                       scale=args.scale, sample=args.sample),
        )
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
