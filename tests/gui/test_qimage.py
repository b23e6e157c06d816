from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from gui.qimage import grid_layout, tile, to_qimage


@pytest.mark.parametrize("channels, fmt", [(1, QImage.Format.Format_Grayscale8), (3, QImage.Format.Format_RGB888)])
def test_odd_width_rows_are_not_skewed(qapp, channels, fmt):
    rng = np.random.default_rng(0)
    array = rng.integers(0, 256, (7, 5, channels), dtype=np.uint8)
    array.flags.writeable = False  # as the engine hands them out
    image = to_qimage(array)
    assert image.format() == fmt and (image.width(), image.height()) == (5, 7)
    for y in range(7):
        for x in range(5):
            color = image.pixelColor(x, y)
            want = array[y, x]
            got = (color.red(),) if channels == 1 else (color.red(), color.green(), color.blue())
            assert got == tuple(want[:channels])
    del array  # the image owns its copy
    assert image.pixelColor(0, 0).isValid()


def test_tile_and_hit_testing():
    batch = np.stack([np.full((4, 6, 1), i, np.uint8) for i in range(5)])
    image, layout = tile(batch, pad=2)
    assert (layout.cols, layout.rows) == (3, 2) and image.shape == (4 * 2 + 2, 6 * 3 + 2 * 2, 1)
    assert image[0, 0, 0] == 0 and image[0, 8, 0] == 1 and image[6, 0, 0] == 3
    assert layout.index_at(9, 1) == 1 and layout.index_at(6.5, 1) is None  # a gutter
    assert layout.index_at(17, 7) is None  # the empty sixth cell
    assert grid_layout(1, 8, 8).pad == 0


def test_rejects_wrong_shapes(qapp):
    with pytest.raises(ValueError):
        to_qimage(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError):
        to_qimage(np.zeros((4, 4, 4), np.uint8))
