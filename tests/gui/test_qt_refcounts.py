"""PySide6 must not leak or drop references to None/True on hot paths the window uses every step.

6.12.0 decrements None's count on each void call (QSlider.setValue, as the timeline does per
step) and True's on Signal.emit: on Python 3.11, where None is not immortal, the window then
aborts with `Fatal Python error: none_dealloc` after a few thousand steps. Run in a subprocess
so a fatal error fails this test instead of killing the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

CALLS = 20_000  # several times what aborted 6.12.0 (it died within 10,000 void calls)

SCRIPT = textwrap.dedent(f"""
    import sys
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication, QSlider

    class Emitter(QObject):
        changed = Signal(int)
        flag = Signal(bool)

    app = QApplication([])
    slider, emitter = QSlider(), Emitter()
    emitter.changed.connect(lambda value: None)
    emitter.flag.connect(lambda value: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for i in range({CALLS}):
        slider.setValue(i % 100)  # a void call
        slider.setEnabled(True)
        emitter.changed.emit(i)
        emitter.flag.emit(True)
    print(none_before - sys.getrefcount(None), true_before - sys.getrefcount(True))
""")


def test_void_calls_and_emits_keep_none_and_true_alive():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, f"the Qt process died (PySide6 refcount bug?):\n{done.stderr[-2000:]}"
    none_lost, true_lost = (int(word) for word in done.stdout.split())
    # A correct binding loses nothing; allow a little slack for interpreter caches.
    assert none_lost < 100 and true_lost < 100, (none_lost, true_lost)
