"""The dark theme keeps every control visible: an unticked checkbox is not dark on dark (issue 12)."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QApplication, QCheckBox


def grab_gray(widget) -> np.ndarray:
    image = widget.grab().toImage()
    image = image.convertToFormat(image.Format.Format_Grayscale8)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    pixels = np.frombuffer(image.constBits(), np.uint8, count=stride * height).reshape(height, stride)[:, :width]
    return pixels.copy()  # the QImage's memory goes with it


def test_an_unticked_checkbox_stands_out_from_the_window(qtbot):
    from gui.style import apply_theme

    app = QApplication.instance()
    old_style, old_palette, old_sheet = app.style().name(), app.palette(), app.styleSheet()
    apply_theme(app)
    try:
        box = QCheckBox("")
        qtbot.addWidget(box)
        box.resize(40, 24)
        box.show()
        qtbot.waitExposed(box)
        pixels = grab_gray(box).astype(int)
        background = 0x1F  # #1e1f22 as grey
        assert np.abs(pixels - background).max() >= 60  # its outline is plainly visible
    finally:
        app.setStyleSheet(old_sheet)
        app.setPalette(old_palette)
        app.setStyle(old_style)
