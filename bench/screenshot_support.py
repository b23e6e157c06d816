"""What the bench/*_screenshot.py scripts share: the real Studio on a qasync loop with temp settings
(and, unless NOISESCOPE_DATA_DIR is set, a temp history), waiting on the event loop, and grabbing
what is painted (QWidget.grab(), not a mock-up).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget


def wait(condition, timeout: float = 300.0) -> None:
    """Run the event loop until `condition()` holds or `timeout` seconds have passed."""
    deadline = time.perf_counter() + timeout
    loop, timer = QEventLoop(), QTimer()
    timer.timeout.connect(lambda: (condition() or time.perf_counter() > deadline) and loop.quit())
    timer.start(2)
    if not condition():
        loop.exec()
    timer.stop()


def parse_size(text: str) -> tuple[int, int]:
    """"1280x800" -> (1280, 800)."""
    width, height = (int(v) for v in text.split("x"))
    return width, height


def grab(widget: QWidget, path: Path) -> Path:
    """Save what `widget` shows, once the events waiting are handled (the last repaint)."""
    QApplication.processEvents()
    widget.grab().save(str(path))
    return path


@dataclass
class Shot:
    app: QApplication
    studio: Any  # gui.app.Studio
    scratch: tempfile.TemporaryDirectory[str]

    def start(self, size: str | None = None) -> None:
        """Show the window (at WxH `size`), start the studio and wait for the model list."""
        window = self.studio.window
        if size is not None:
            window.resize(*parse_size(size))
        window.show()
        self.studio.start()
        wait(lambda: bool(self.studio.view_model.form.models))

    def close(self) -> None:
        self.studio.close()
        self.scratch.cleanup()


def open_studio(prefix: str = "noisescope-shot-", temp_history: bool = True) -> Shot:
    """The app, themed, and the Studio with settings in a temp folder; the history goes there too when
    `temp_history` and NOISESCOPE_DATA_DIR is not set (a person's own gallery is untouched)."""
    scratch = tempfile.TemporaryDirectory(prefix=prefix)
    if temp_history:
        os.environ.setdefault("NOISESCOPE_DATA_DIR", scratch.name)
    import qasync

    app = QApplication(["noisescope"])
    asyncio.set_event_loop(qasync.QEventLoop(app, already_running=True))
    from gui.app import build_studio
    from gui.style import apply_theme

    apply_theme(app)
    studio = build_studio(QSettings(str(Path(scratch.name) / "s.ini"), QSettings.Format.IniFormat))
    return Shot(app, studio, scratch)
