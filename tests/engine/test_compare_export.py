"""The comparison's pictures hold what the alignment says, and the compare core imports without torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from engine.compare.alignment import align
from engine.compare.export import comparison_frames, export_comparison
from engine.compare.metadata import parse_comparison
from engine.compare.options import CompareOptions
from engine.compare.panes import position_view
from engine.compare.picture import GAP, HEADER, comparison_frame
from engine.compare.reading import read_comparison
from engine.compare.runs import CompareRun
from engine.errors import CompareError, InvalidRecipe
from engine.export.a1111 import restore_from_json
from tests.engine.test_compare_alignment import run_of

ROOT = Path(__file__).resolve().parents[2]


def test_a_frame_shows_each_runs_aligned_step_and_the_heat_maps():
    runs = [run_of([10, 5, 2, 1, 0.5]), run_of([10, 2, 0.5])]
    alignment = align(runs)
    options = CompareOptions(view="x_t", scale=40)
    view = position_view(runs, alignment, 3, options)  # run A at its step 3, run B at its step 2
    frame = comparison_frame(runs, alignment, 3, view, options)
    pane = 4 * 40
    first = frame[HEADER:HEADER + pane, GAP:GAP + pane]
    second = frame[HEADER:HEADER + pane, 2 * GAP + pane:2 * GAP + 2 * pane]
    assert (first == 3).all() and (second == 2).all()  # step i's x_t is filled with i
    assert view.pairs[0].difference.mean_abs == 1 and view.labels == ("step 4/5, sigma 1", "step 3/3, sigma 0.5")
    heat_top = HEADER + pane + 2 * 13 + GAP
    assert (frame[heat_top:heat_top + pane, GAP:GAP + pane] == view.pairs[0].heat[0, 0]).all()


def test_four_runs_make_six_pairs_in_two_rows(tmp_path):
    runs = [CompareRun(run_of(sigmas), f"r{i}") for i, sigmas in enumerate(
        ([10, 1], [10, 3, 1], [8, 4, 2, 1], [10, 0.5]))]
    result = export_comparison(runs, tmp_path, ("webp",), CompareOptions(view="x_t"))
    assert [p.name for p in result.final.pairs] == ["|A-B|", "|A-C|", "|A-D|", "|B-C|", "|B-D|", "|C-D|"]
    frames = comparison_frames(runs, result.alignment, CompareOptions(view="x_t"))
    assert len(frames) == len(result.alignment) and len({f.shape for f, _ in frames}) == 1
    with Image.open(result.files[0]) as webp:
        assert webp.n_frames == len(frames)
    assert [r.name for r in read_comparison(result.files[0]).runs] == ["r0", "r1", "r2", "r3"]


def test_an_unknown_format_is_refused_before_anything_is_written(tmp_path):
    runs = [CompareRun(run_of([1.0]), "a"), CompareRun(run_of([1.0]), "b")]
    with pytest.raises(CompareError, match="written as gif, webp, apng, mp4, sheet, not 'avi'"):
        export_comparison(runs, tmp_path, ("gif", "avi"))
    assert list(tmp_path.iterdir()) == []


def test_bad_options_say_what_is_allowed():
    with pytest.raises(CompareError, match="view must be x0 or x_t, not 'both'"):
        CompareOptions(view="both")
    with pytest.raises(CompareError, match="above 0 and at most 255 levels, not 0"):
        CompareOptions(heat_scale=0)


def test_the_compare_core_imports_with_torch_blocked():
    script = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("torch", "diffusers", "transformers", "PIL"):
            raise ImportError(name)
sys.meta_path.insert(0, Block())
import engine.compare.panes, engine.compare.metadata, engine.export.a1111
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env=dict(os.environ))
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_a_scale_past_the_largest_pane_is_refused(tmp_path):
    runs = [CompareRun(run_of([1.0], size=128), "a"), CompareRun(run_of([1.0], size=128), "b")]
    with pytest.raises(CompareError, match="scale 64 makes each pane 8192 pixels across; at most 4096"):
        export_comparison(runs, tmp_path, ("gif",), CompareOptions(scale=64))


@pytest.mark.parametrize(("text", "message"), [
    ('{"noisescope_comparison": 1}', "the comparison metadata is damaged (KeyError: 'runs')"),
    ('{"noisescope_comparison": true}', "comparison format True is not supported"),
    ('{"noisescope_comparison": 1, "runs": [], "differences": [], "align": "sigma", "view": "x0", "sample": 0}',
     "the comparison metadata lists no runs"),
    ('{"noisescope_comparison": 1, "runs": [{"recipe": {"steps": -4}, "name": "a"}], "differences": [], '
     '"align": "sigma", "view": "x0", "sample": 0}', "a recipe in the comparison cannot be read: steps must be"),
    ('{"noisescope_comparison": 1, "runs": [{"recipe": {}, "name": "a"}], "differences": [], "align": "sigma", '
     '"view": "x0", "sample": 1e999}', "the comparison metadata is damaged (OverflowError"),
    ('{"noisescope_comparison": 1, "runs": [' * 2000, "the comparison metadata is not valid JSON"),
])
def test_a_damaged_document_is_refused_with_a_message(text, message):
    with pytest.raises(CompareError) as caught:
        parse_comparison(text)
    assert caught.value.message.startswith(message)
    with pytest.raises(InvalidRecipe):  # a reader of one recipe hears the same, as a recipe problem
        restore_from_json(text)
