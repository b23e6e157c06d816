"""The `noisescope` entry point: a command runs headless (no Qt imported); none opens the window."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from importlib import metadata

NO_DISPLAY = ("noisescope: no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
              "Run it in a desktop session, or use the command line (`noisescope --help`), or set\n"
              "QT_QPA_PLATFORM=offscreen to run the window without showing it.")


def app_version() -> str:
    """The installed package's version (pyproject.toml); "unknown" from an uninstalled tree."""
    try:
        return metadata.version("noisescope")
    except metadata.PackageNotFoundError:
        return "unknown"


def display_problem(env: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why the window cannot open, or None. On Linux without a display Qt's xcb plugin aborts the
    process with a core dump and a wall of plugin text; say it plainly first. A QT_QPA_PLATFORM
    someone set (offscreen, vnc, wayland...) is their choice: Qt reports its own problems then."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return NO_DISPLAY


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--version"]:
        print(f"noisescope {app_version()}")
        return 0
    if argv and not argv[0].startswith("-") or any(a in ("-h", "--help") for a in argv[:1]):
        from engine.cli.main import main as cli_main

        return cli_main(argv)
    problem = display_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    from gui.app import main as app_main  # Qt is imported only here

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
