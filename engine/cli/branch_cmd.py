"""`noisescope branch FILE --from-step K [changes]`: continue a diffusion run from one of its steps
with changed settings, and write the branch's files as `generate` does (engine/cli/generate_cmd.py).

FILE is a trajectory file (or any file carrying a Noisescope recipe: the branch is made by
replaying that recipe, engine/course.py). The change flags are the field table's own
(`--sampler`, `--schedule`, `--steps`, `--guidance`, `--label`, `--prompt`, `--negative-prompt`,
`--eta`, `--device`); what a flag leaves out is the parent's. The branch's recipe holds its
parent's and the step (engine/branch.py), so its files make it again with `generate`-like replay.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from engine.branch import CHANGEABLE, Branch, describe_changes
from engine.cli.common import UsageError
from engine.cli.generate_cmd import add_run_output_options, generate_recipe
from engine.errors import NoisescopeError
from engine.export.restore import read_recipe
from engine.export.trajectory_file import is_trajectory_name, read_trajectory_metadata
from engine.kinds import Family
from engine.recipe import Recipe
from engine.recipe_fields import FIELDS, RecipeField
from engine.samplers import DEFAULT_SCHEDULE, SAMPLERS, SCHEDULES


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "branch", help="continue a diffusion run from one of its steps with changed settings",
        description="Replays the run in FILE to step K (same seed, same pixels) and continues from there with the "
                    "settings given; a setting left out stays the parent's. With nothing changed the branch ends on "
                    "the parent's image exactly. A new sampler, schedule type or step count lays out its schedule "
                    "for --steps over the whole noise range and runs the part below step K's noise level; "
                    "--remaining N picks that --steps for you.")
    parser.add_argument("file", type=Path, metavar="TRAJECTORY_FILE",
                        help="a .trajectory.safetensors file (or another file with a Noisescope recipe)")
    parser.add_argument("--from-step", type=int, required=True, metavar="K",
                        help="the parent's step to continue from, 0-based, as the trajectory numbers its steps")
    for row in _rows():
        parser.add_argument(row.cli_flag, dest=f"recipe_{row.name}", metavar=_metavar(row),
                            help=f"{row.cli_help or row.help} (default: the parent's)")
        for flag, keyword, help_text in row.cli_parts:
            parser.add_argument(flag, dest=f"recipe_part_{keyword}", metavar="TEXT", help=help_text)
    parser.add_argument("--remaining", type=int, metavar="N",
                        help="how many steps the branch takes after step K (the bridge step, if any, included): "
                             "sets --steps to the smallest step count whose schedule, laid out over the whole noise "
                             "range, leaves exactly N steps at or below step K's noise level (where none does, e.g. "
                             "Heun's two evaluations a step, the nearest count above N; said on stderr). The "
                             "recipe keeps that --steps, so the branch is made again as any other")
    add_run_output_options(parser)
    parser.set_defaults(func=run_branch)


def run_branch(args) -> int:
    parent, total = parent_recipe(args.file)
    if total is not None and not 0 <= args.from_step < total:
        raise UsageError(f"--from-step {args.from_step} is out of range: {args.file.name} has steps 0 to {total - 1}")
    if args.from_step < 0:
        raise UsageError(f"--from-step must be 0 or more, not {args.from_step}")
    given = _given(args)
    if args.remaining is not None and "steps" in given:
        raise UsageError("give --steps or --remaining, not both: --remaining N picks the step count")
    child = branch_recipe(parent, args.from_step, given)
    if args.remaining is not None:
        child = with_remaining(child, args.remaining, args.model_paths)
    print(f"noisescope: branch {describe_changes(child)}", file=sys.stderr)
    return generate_recipe(args, child)


def parent_recipe(path: Path) -> tuple[Recipe, int | None]:
    """The recipe in the file and its step count (None when the file does not say); UsageError
    saying why a file cannot be branched."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file; give a trajectory file (`generate --trajectory` writes one)")
    try:
        if is_trajectory_name(path):
            metadata = read_trajectory_metadata(path)
            recipe, total = Recipe.from_json(metadata["recipe"]), int(metadata.get("total_steps", 0)) or None
        else:
            restored = read_recipe(path)
            if restored.source != "noisescope":
                raise UsageError(f"{path.name} carries a {restored.source_name}, not a Noisescope recipe: a branch "
                                 "replays its parent exactly, so it needs the run's own recipe (a trajectory file)")
            recipe, total = restored.recipe(), None
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
    except (KeyError, ValueError) as exc:
        raise UsageError(f"{path.name}: the trajectory's metadata is damaged ({exc}); it cannot be branched") from None
    if recipe.family not in (None, Family.DIFFUSION) or recipe.sampler == "none":
        raise UsageError(f"{path.name} is a one-pass {recipe.family or 'VAE/GAN'} run: it has no steps to branch "
                         "from; branch a diffusion run")
    return recipe, total


def branch_recipe(parent: Recipe, from_step: int, given: dict[str, Any]) -> Recipe:
    """The parent's recipe with the changes given, as a branch from `from_step`. A setting the new
    sampler does not take (eta, a schedule type) falls back to its default, said on stderr."""
    changes = dict(given)
    sampler = SAMPLERS[changes.get("sampler", parent.sampler)]
    if "eta" not in changes and not sampler.uses_eta and parent.eta:
        changes["eta"] = 0.0
    if "schedule" not in changes and parent.schedule not in sampler.schedules:
        print(f"noisescope: note: {sampler.display_name} takes no {SCHEDULES[parent.schedule].display_name} "
              "schedule; the branch uses the default", file=sys.stderr)
        changes["schedule"] = DEFAULT_SCHEDULE
    if "prompt" in changes and "negative_prompt" not in changes and parent.negative_prompt:
        changes["negative_prompt"] = parent.negative_prompt
    if "negative_prompt" in changes and "prompt" not in changes:
        if parent.prompt is None:
            raise UsageError("--negative-prompt goes with a text-to-image run (or give --prompt too)")
        changes["prompt"] = parent.prompt
    try:
        return parent.replace(**changes, branch=Branch(parent, from_step))
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None


def with_remaining(child: Recipe, remaining: int, model_paths) -> Recipe:
    """The branch with the step count that leaves it `remaining` steps (engine/remaining_steps.py).
    Loads the model through the cache run() uses (its scheduler settings lay the schedule out), so
    the run that follows finds it loaded."""
    from engine.device import pick_dtype, resolve_device
    from engine.model_cache import shared_model_cache
    from engine.models.catalog import find_model
    from engine.remaining_steps import steps_for_remaining

    assert child.branch is not None, "branch_recipe makes a branch"
    start = child.branch.from_step
    try:
        info = find_model(child.model, model_paths)
        device = resolve_device(child.device)
        model = shared_model_cache().get(info, device, pick_dtype(device))
        config = getattr(model, "scheduler_config", None)
        if config is None:  # a one-pass model: parent_recipe refuses its runs; a file may still name one
            raise UsageError(f"{info.name} is a one-pass model: it has no steps to branch from")
        found = steps_for_remaining(child, remaining, config, info.name, lambda r: r.check_against_model(info))
        child = child.replace(steps=found.steps)
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
    note = (f"{found.steps} steps leave {found.remaining} after step {start}" if found.exact else
            f"no step count leaves exactly {remaining} steps after step {start}; {found.steps} steps leave "
            f"{found.remaining}")
    print(f"noisescope: --remaining {remaining}: {note}", file=sys.stderr)
    return child


def _given(args) -> dict[str, Any]:
    """The changes on the command line, converted by their rows; UsageError naming a bad value."""
    given: dict[str, Any] = {}
    try:
        for row in _rows():
            text = getattr(args, f"recipe_{row.name}")
            if text is not None:
                given[row.name] = row.from_text(text)
            for _, keyword, _ in row.cli_parts:
                if getattr(args, f"recipe_part_{keyword}") is not None:
                    given[keyword] = getattr(args, f"recipe_part_{keyword}")
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None
    if "prompt" in given and "conditioning" in given:
        raise UsageError("give --label or --prompt, not both")
    return given


def _rows() -> list[RecipeField]:
    return [row for row in FIELDS if row.name in CHANGEABLE and row.cli_flag]


def _metavar(row: RecipeField) -> str:
    return "LABEL" if row.name == "conditioning" else row.name.upper()
