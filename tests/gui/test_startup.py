"""The window comes up without torch: the GUI imports only the engine's torch-free core at start;
the runtime (torch) is imported on the engine worker thread, later."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys, threading, time, asyncio
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
import qasync

first_import = {}

class Watch:  # notes which thread imports torch first; imports nothing itself
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and "torch" not in first_import:
            first_import["torch"] = threading.current_thread().name
        return None

sys.meta_path.insert(0, Watch())
app = QApplication([])
asyncio.set_event_loop(qasync.QEventLoop(app, already_running=True))
from gui.app import build_studio
studio = build_studio(QSettings(sys.argv[1], QSettings.Format.IniFormat))
studio.window.show()
app.processEvents()
print("after the window:", "torch" in sys.modules, "engine.recipe" in sys.modules, "engine.events" in sys.modules)
studio.start()
deadline = time.monotonic() + 60
while not studio.view_model.form.models and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
print("torch first imported on:", first_import.get("torch"))
studio.close()
"""


def test_window_shows_without_importing_torch_and_the_worker_imports_it(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "s.ini")], cwd=root, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "after the window: False True True" in out.stdout  # the core, at module top; no torch
    assert "torch first imported on: noisescope-engine" in out.stdout, out.stdout
