"""Start-up sweep of temporary files left by killed writes.

engine.atomic.write_atomically writes `.<name>.<random>.part` beside its target and renames it at
the end; a process killed mid-write (kill -9, power cut) leaves the `.part` behind. Each export
already sweeps the leftovers of its own target (engine.export.plan.sweep_stale_parts); this sweeps
the rest once at start-up: in the output folder, the history's folder and its kept trajectories.
Only files named like ours and older than STALE_AFTER_S are removed: a write still going on in
another process (a CLI run) is younger than that. The history database and its journal are never
touched. No Qt: it runs on the disk thread.
"""

from __future__ import annotations

import logging
import stat
import time
from collections.abc import Iterable
from pathlib import Path

from engine.export.plan import STALE_AFTER_S

log = logging.getLogger(__name__)
PATTERN = ".*.part"  # write_atomically's temporary names


def sweep_stale_temporaries(folders: Iterable[Path], older_than_s: float = STALE_AFTER_S,
                            now: float | None = None) -> list[Path]:
    """Remove our stale temporary files directly in each folder; returns what was removed."""
    cutoff = (time.time() if now is None else now) - older_than_s
    removed: list[Path] = []
    for folder in dict.fromkeys(Path(f) for f in folders):  # each once, in order
        try:
            candidates = list(folder.glob(PATTERN)) if folder.is_dir() else []
        except OSError:
            continue
        for path in candidates:
            try:
                info = path.lstat()
                if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:  # never a link, a folder, a FIFO
                    path.unlink()
                    removed.append(path)
            except OSError:
                pass  # gone already, or not ours to remove
    if removed:
        log.info("removed %d temporary file(s) left by killed writes: %s", len(removed),
                 ", ".join(str(p) for p in removed[:5]))
    return removed


def startup_folders(history_path: Path) -> list[Path]:
    """Where our writes go: the default output folder, the history's folder, its kept trajectories."""
    from engine.history.kept_trajectories import kept_folder
    from engine.paths import default_output_dir

    return [default_output_dir(), Path(history_path).parent, kept_folder(history_path)]


def sweep_at_startup(history_path: Path) -> list[Path]:
    return sweep_stale_temporaries(startup_folders(history_path))
