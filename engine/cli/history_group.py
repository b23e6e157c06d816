"""A group of runs the CLI records in the history: a sweep's cells, an interpolation's frames.

The group is made as its first run is recorded (engine/history/recording.py: record_sweep,
record_interpolation), so an interrupted command leaves a group holding the runs it made. A history
that cannot be written costs one warning, never the images (as `generate`'s): the runs after it are
not tried, so a thousand frames print one line, not a thousand.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import NoisescopeError
from engine.export.plan import ExportedFile
from engine.history import History


class HistoryGroup:
    def __init__(self, make_group: Callable[[History], int], what: str) -> None:
        """make_group: records the group's row, returns its id; what: `the sweep`, for the warning."""
        self._make_group, self.what = make_group, what
        self.id: int | None = None
        self.failed = False

    def record(self, trajectory, model_hash: str | None, files: list[ExportedFile], cell: int) -> int | None:
        """Record one run as the group's cell `cell`; its id, or None when the history cannot be written."""
        from engine.history.recording import record_run

        return self._write(lambda history: record_run(history, trajectory, model_hash, files,
                                                      sweep_cell=(self._group(history), cell)))

    def set_grid(self, path: Path) -> None:
        """The group's picture (a sweep's grid, an interpolation's contact sheet), once written."""
        if self.id is not None:
            group_id = self.id
            self._write(lambda history: history.set_sweep_grid(group_id, path))

    def _group(self, history: History) -> int:
        if self.id is None:
            self.id = self._make_group(history)
        return self.id

    def _write(self, job: Callable[[History], Any]) -> Any:
        if self.failed:
            return None
        try:
            with History() as history:
                return job(history)
        except (sqlite3.Error, OSError, NoisescopeError) as exc:
            self.failed = True
            print(f"noisescope: warning: {self.what} was not recorded in history: {exc}", file=sys.stderr)
            return None
