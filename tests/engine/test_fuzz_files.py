"""Issue 12: the files fuzzer on a small seeded budget (mutations of our exported files and other tools' files, into `noisescope show`).

The full run (2,000+ cases each): `.venv/bin/python -m bench.fuzz`."""

from bench.fuzz import run_all


def test_files_fuzzer_finds_no_traceback_and_no_hang():
    (tally,) = run_all(200, seed=2026, only=("files",))
    assert tally.cases == 200
    assert tally.tracebacks == [] and tally.hangs == [] and tally.netted == []
    assert tally.ok > 0 and tally.refused > 0  # both outcomes reached: the cases are not all of one kind
