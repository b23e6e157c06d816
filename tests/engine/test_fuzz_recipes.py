"""Issue 12: the recipes fuzzer on a small seeded budget (random JSON dicts into Recipe.from_dict).

The full run (2,000+ cases each): `.venv/bin/python -m bench.fuzz`."""

from bench.fuzz import run_all


def test_recipes_fuzzer_finds_no_traceback_and_no_hang():
    (tally,) = run_all(500, seed=2026, only=("recipes",))
    assert tally.cases == 500
    assert tally.tracebacks == [] and tally.hangs == [] and tally.netted == []
    assert tally.ok > 0 and tally.refused > 0  # both outcomes reached: the cases are not all of one kind
