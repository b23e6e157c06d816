"""The `noisescope` entry point: a command runs headless (no Qt imported); none opens the window."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and not argv[0].startswith("-") or any(a in ("-h", "--help") for a in argv[:1]):
        from engine.cli.main import main as cli_main

        return cli_main(argv)
    from gui.app import main as app_main  # Qt is imported only here

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
