"""What the commands share: exit codes, error lines, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.kinds import ErrorKind

EXIT_USAGE = 2  # the person's input is wrong: one line says what and what is allowed


def exit_code_for(kind: str) -> int:
    """2 for a Failed kind that is the person's to fix (settings, model files, memory), else 1."""
    return ErrorKind.of(kind).exit_code


# Kept for callers not yet moved to exit_code_for: the kinds whose exit code is 2.
USER_ERROR_KINDS = frozenset(kind for kind in ErrorKind if kind.exit_code == EXIT_USAGE)


class UsageError(Exception):
    """Raised by a command for a mistake in its input; main() prints it and exits 2."""


def fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"noisescope: error: {message}", file=sys.stderr)
    return code


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


class _ModelsFolder(argparse.Action):
    """--models-folder DIR: this run's catalog also lists DIR, as if it were in the settings file."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from engine.config_file import add_session_models_folder

        add_session_models_folder(Path(str(values)))
        getattr(namespace, self.dest).append(Path(str(values)))


def add_model_path_option(parser) -> None:
    parser.add_argument("--model-path", dest="model_paths", action="append", type=Path, default=[],
                        metavar="PATH", help="also offer the model in this folder (repeatable)")
    parser.add_argument("--models-folder", dest="models_folders", action=_ModelsFolder, default=[],
                        metavar="DIR", help="also list the checkpoints and model folders in DIR, e.g. an "
                        "AUTOMATIC1111 models/Stable-diffusion or ComfyUI models/checkpoints (repeatable; "
                        "saved ones: `noisescope models --add-folder`)")
