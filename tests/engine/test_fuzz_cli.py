"""Issue 12: the cli fuzzer on a small seeded budget (random argv into the generate and show parsers (generate is validated, never run)).

The full run (2,000+ cases each): `.venv/bin/python -m bench.fuzz`."""

from bench.fuzz import run_all


def test_cli_fuzzer_finds_no_traceback_and_no_hang():
    (tally,) = run_all(200, seed=2026, only=("cli",))
    assert tally.cases == 200
    assert tally.tracebacks == [] and tally.hangs == [] and tally.netted == []
    assert tally.ok > 0 and tally.refused > 0  # both outcomes reached: the cases are not all of one kind
    from engine.config_file import _session_folders

    assert _session_folders == []  # random --models-folder flags leave nothing behind for later tests
