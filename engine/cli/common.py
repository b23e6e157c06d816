"""What the commands share: exit codes, error lines, JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

EXIT_USAGE = 2  # the person's input is wrong: one line says what and what is allowed
# Failed kinds that are the person's to fix (bad settings, missing or bad model files, memory).
USER_ERROR_KINDS = {"invalid_recipe", "model_not_found", "model_load", "unsafe_model", "out_of_memory", "export"}


class UsageError(Exception):
    """Raised by a command for a mistake in its input; main() prints it and exits 2."""


def fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"noisescope: error: {message}", file=sys.stderr)
    return code


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def add_model_path_option(parser) -> None:
    parser.add_argument("--model-path", dest="model_paths", action="append", type=Path, default=[],
                        metavar="PATH", help="also offer the model in this folder (repeatable)")
