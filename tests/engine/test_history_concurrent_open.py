"""Two processes opening a fresh history database at the same moment: both get it, no run is lost."""

import multiprocessing
import sqlite3

from engine.history import History


def _open_and_add(path: str, barrier, results) -> None:
    from tests.engine.test_history import synthetic

    barrier.wait()  # both processes open the fresh file at the same moment
    try:
        with History(path) as history:
            history.add_run(synthetic(batch=1, size=4))
        results.put("ok")
    except Exception as exc:  # reported by the test below
        results.put(f"{type(exc).__name__}: {exc}")


def test_two_processes_open_a_fresh_database_together(tmp_path):
    context = multiprocessing.get_context("fork")
    failures = []
    for trial in range(20):
        path = tmp_path / f"history-{trial}.sqlite3"
        barrier, results = context.Barrier(2), context.Queue()
        workers = [context.Process(target=_open_and_add, args=(str(path), barrier, results)) for _ in range(2)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        failures += [f"trial {trial}: {outcome}" for outcome in outcomes if outcome != "ok"]
        rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        if rows != 2:
            failures.append(f"trial {trial}: {rows} runs kept, expected 2")
    assert failures == []
