"""Issue 12: the model-folder fuzzer on a small seeded budget (one hostile config value, then a run:
a result or a message, never an "unexpected error" and never a hang).

The full run (2,000 cases): `.venv/bin/python -m bench.fuzz_model_folders`."""

from bench.fuzz_model_folders import run_folders


def test_model_folder_fuzzer_finds_no_unexpected_error_and_no_hang():
    tally = run_folders(12, seed=2026)
    assert tally.cases == 12
    assert tally.tracebacks == [] and tally.hangs == []
    assert tally.ok > 0 and tally.refused > 0  # both outcomes reached
