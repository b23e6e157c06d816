"""|A - B| and its numbers on known arrays, and the heat map's colours."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.compare.colormap import TABLE, cubehelix
from engine.compare.difference import absolute_difference, compare_images, difference, heat_map


def grey(value: int, size: int = 4) -> np.ndarray:
    return np.full((size, size, 1), value, np.uint8)


def test_mean_absolute_difference_and_psnr_of_known_images():
    assert difference(grey(0), grey(51)).mean_abs == 51
    assert difference(grey(0), grey(51)).psnr_db == pytest.approx(10 * math.log10(25))  # 255^2 / 51^2 = 25
    a, b = grey(10), grey(10)
    b[0, 0] = 250  # one pixel of 16 off by 240, the other way round too
    result = difference(b, a)
    assert result.mean_abs == pytest.approx(15.0)
    assert result.psnr_db == pytest.approx(10 * math.log10(255 ** 2 / (240 ** 2 / 16)))
    assert result.text() == f"mean |diff| 15.0, PSNR {result.psnr_db:.1f} dB"
    assert np.array_equal(absolute_difference(a, b), np.where(np.arange(16).reshape(4, 4) == 0, 240, 0))


def test_identical_images_have_infinite_psnr():
    same = difference(grey(7), grey(7))
    assert same.mean_abs == 0 and math.isinf(same.psnr_db)
    assert same.text() == "mean |diff| 0.0, identical" and same.to_dict() == {"mean_abs": 0.0, "psnr_db": None}


def test_grey_beside_colour_is_compared_in_colour():
    colour = np.zeros((2, 2, 3), np.uint8)
    colour[...] = (100, 110, 130)
    assert difference(grey(100, 2), colour).mean_abs == pytest.approx(40 / 3)
    assert absolute_difference(grey(100, 2), colour) == pytest.approx(np.full((2, 2), 40 / 3))


def test_images_of_different_sizes_are_refused():
    with pytest.raises(ValueError, match="different sizes"):
        difference(grey(0, 4), grey(0, 8))


def test_heat_map_runs_from_black_to_white_at_its_scale():
    levels = np.array([[0, 255], [128, 300]], np.float32)
    colours = heat_map(levels)
    assert colours.shape == (2, 2, 3) and colours.dtype == np.uint8
    assert colours[0, 0].tolist() == [0, 0, 0] and colours[0, 1].tolist() == [255, 255, 255]
    assert colours[1, 1].tolist() == [255, 255, 255]  # beyond the scale: white
    assert colours[1, 0].tolist() == TABLE[128].tolist()
    assert heat_map(np.array([[25.0, 50.0]]), scale=50)[0].tolist() == [TABLE[128].tolist(), [255, 255, 255]]
    with pytest.raises(ValueError):
        heat_map(levels, scale=0)


def test_the_colormap_grows_steadily_brighter_through_its_hues():
    table = cubehelix().astype(float)
    luma = table @ [0.2126, 0.7152, 0.0722]
    assert np.all(np.diff(luma) > -0.5)  # never darker: the helix turns around the grey diagonal
    assert luma[64] < luma[128] < luma[192]
    assert len({tuple(c) for c in TABLE.tolist()}) > 200  # distinct colours, not a grey ramp
    assert np.ptp(table[128]) > 60  # mid-scale is coloured
    assert not TABLE.flags.writeable


@pytest.mark.parametrize("channels", [(1, 1), (3, 3), (1, 3)])
@pytest.mark.parametrize("scale", [255.0, 40.0])
def test_the_one_pass_comparison_equals_its_parts(channels, scale):
    rng = np.random.default_rng(sum(channels))
    a = rng.integers(0, 256, (16, 12, channels[0]), dtype=np.uint8)
    b = rng.integers(0, 256, (16, 12, channels[1]), dtype=np.uint8)
    heat, numbers = compare_images(a, b, scale)
    assert np.array_equal(heat, heat_map(absolute_difference(a, b), scale))
    expected = difference(a, b)
    assert numbers.mean_abs == pytest.approx(expected.mean_abs) and numbers.psnr_db == pytest.approx(expected.psnr_db)
    assert compare_images(a, a)[1].psnr_db == math.inf and not compare_images(a, a)[0].any()
