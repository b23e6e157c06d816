"""Issue 12: the files fuzzer through the window's drop path too (every file gets a message, in bounded
time), on a small seeded budget. The full run: `.venv/bin/python -m bench.fuzz --only files --drop`."""

from bench.fuzz import run_all
from gui.recipe_drop import recipe_from_file


def test_dropped_files_fuzzer_finds_no_traceback_and_no_hang():
    (tally,) = run_all(60, seed=2027, only=("files",), drop=recipe_from_file)
    assert tally.cases == 60
    assert tally.tracebacks == [] and tally.hangs == [] and tally.netted == []
    assert tally.ok > 0 and tally.refused > 0
