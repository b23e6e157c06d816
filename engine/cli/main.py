"""`noisescope <command>`: one module per command, each with register(subparsers)."""

from __future__ import annotations

import argparse
import sys

from engine.cli import (
    analyze_cmd,
    branch_cmd,
    compare_cmd,
    decode_cmd,
    evaluate_cmd,
    fit_prior_cmd,
    generate_cmd,
    history_cmd,
    interpolate_cmd,
    models_cmd,
    samplers_cmd,
    show_cmd,
    sweep_cmd,
    train_cmd,
)
from engine.cli.common import UsageError, fail

COMMANDS = [models_cmd, samplers_cmd, generate_cmd, show_cmd, history_cmd, train_cmd, evaluate_cmd, fit_prior_cmd,
            decode_cmd, sweep_cmd, compare_cmd, branch_cmd, interpolate_cmd, analyze_cmd]
RUNS_MODELS = ("generate", "train", "evaluate", "fit-prior", "decode", "sweep", "branch", "interpolate")  # the commands whose speed depends on torch's threads


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="noisescope",
        description="Watch generative image models turn noise into images. With no command, opens the window.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    if args.command in RUNS_MODELS:
        import torch

        from engine.threads import apply_threads

        before = torch.get_num_threads()
        apply_threads(gui=False)  # chosen as the window chooses (engine/threads.py); train --threads overrides
        try:
            return _run(args)
        finally:
            torch.set_num_threads(before)  # main() called in-process (tests, benches) leaves the process as it was
    return _run(args)


def _run(args) -> int:
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
