"""Temporary files of killed writes are swept at start-up, and nothing else is (issue 12)."""

from __future__ import annotations

import os
import time

from gui.stale_files import sweep_at_startup, sweep_stale_temporaries


def aged(path, seconds_old: float):
    path.write_bytes(b"half a file")
    then = time.time() - seconds_old
    os.utime(path, (then, then))
    return path


def test_only_our_old_part_files_go(tmp_path):
    old = aged(tmp_path / ".run-7.png.abc123.part", 3600)
    young = aged(tmp_path / ".run-8.png.def456.part", 5)  # a write maybe still going (a CLI run)
    theirs = aged(tmp_path / "notes.part", 3600)  # not a name we write
    done = aged(tmp_path / "run-7.png", 3600)
    journal = aged(tmp_path / "history.sqlite-journal", 3600)
    os.mkfifo(tmp_path / ".fifo.png.x.part")
    removed = sweep_stale_temporaries([tmp_path, tmp_path / "missing"])
    assert removed == [old]
    assert not old.exists() and young.exists() and theirs.exists() and done.exists() and journal.exists()
    assert (tmp_path / ".fifo.png.x.part").exists()


def test_the_window_sweeps_output_history_and_kept_folders_at_start(qtbot, make_studio, tmp_path):
    from engine.history.kept_trajectories import kept_folder
    from engine.history.store import default_history_path
    from engine.paths import default_output_dir

    history_path = default_history_path()
    folders = [default_output_dir(), history_path.parent, kept_folder(history_path)]
    leftovers = []
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        leftovers.append(aged(folder / ".x.trajectory.safetensors.k1.part", 3600))
    studio = make_studio()
    qtbot.waitUntil(lambda: studio.history.gallery is not None, timeout=15_000)
    qtbot.waitUntil(lambda: not any(p.exists() for p in leftovers), timeout=10_000)
    assert sweep_at_startup(history_path) == []
