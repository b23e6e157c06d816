"""The window comes up without torch: the engine is imported on the worker thread, later."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys, asyncio
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
import qasync
app = QApplication([])
asyncio.set_event_loop(qasync.QEventLoop(app, already_running=True))
from gui.app import build_studio
studio = build_studio(QSettings(sys.argv[1], QSettings.Format.IniFormat))
studio.window.show()
app.processEvents()
print("torch imported before start:", "torch" in sys.modules, "engine" in sys.modules)
studio.close()
"""


def test_window_shows_without_importing_torch(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "s.ini")], cwd=root, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "torch imported before start: False False" in out.stdout
