"""A 10,000-step window session runs clean (issue 12): the view-model, the timeline and the viewer
take 10,000 Step events from a fake engine (10 runs of 1,000 in one window, a repaint per step, each run
scrubbed back), and the process stays alive with its memory flat from run to run. In a subprocess:
a fatal error in Qt (PySide6 6.12's none_dealloc) fails this test instead of ending the test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_ten_thousand_steps_in_one_window_session():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "tests.gui.long_session", "--steps", "10000", "--runs", "10"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"the window died during the session:\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["steps"] == 10_000 and result["alive"] and result["shown"] == 1000
    assert result["timeline"].startswith("Step 6 / 1000")  # the last scrub reached the start
    rss = result["rss_mb"]
    assert rss[-1] - rss[0] < 40, f"memory grew from run to run: {rss} MB"  # a run replaces the last one
    assert result["true_lost"] < 100 and result["none_lost"] < 100, result  # no reference dropped per step
