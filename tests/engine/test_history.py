"""History: round trips, filters, stars, deletes, migrations, threads, and surviving SIGKILL."""

import io
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import Recipe
from engine.events import Cancelled, Finished, Started, Step
from engine.history import History, default_history_path
from engine.history.schema import SCHEMA_VERSION, NewerSchema, migrate
from engine.trajectory import Trajectory

ROOT = Path(__file__).resolve().parents[2]


def synthetic(model="digits", sampler="ddim", family="diffusion", batch=2, size=8, cancelled=False,
              seed=0) -> Trajectory:
    rng = np.random.default_rng(seed)
    recipe = Recipe(model=model, family=family, sampler=sampler, steps=2, batch=batch, seed=seed)
    shape = (batch, size, size, 1)
    recorded = Trajectory()
    recorded.record(Started(recipe, 2, shape[1:], "cpu", "float32", model))
    for index in range(1 if cancelled else 2):
        frames = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(3)]
        recorded.record(Step(index, 2, 500.0, 1.0, *frames, elapsed_s=0.0))
    if cancelled:
        recorded.record(Cancelled(recipe, 1))
    else:
        recorded.record(Finished(recipe, rng.integers(0, 256, shape, dtype=np.uint8), 1.5))
    return recorded


@pytest.fixture
def history():
    with History() as opened:
        yield opened


def test_lives_in_the_user_data_folder_in_wal_mode(history, isolated_user_data):
    assert history.path == isolated_user_data / "history.sqlite3" == default_history_path()
    connection = sqlite3.connect(history.path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_round_trip(history, tmp_path):
    run = synthetic(batch=4, size=28)
    run_id = history.add_run(run, model_hash="0123456789", trajectory_path=tmp_path / "t.trajectory.safetensors",
                             created_at=1000.0)
    history.record_export(run_id, tmp_path / "a.gif", "gif")
    history.record_export(run_id, tmp_path / "a.png", "png")
    record = history.get_run(run_id)
    assert record.recipe() == run.recipe and record.model == "digits" and record.sampler == "ddim"
    assert record.family == "diffusion" and record.model_hash == "0123456789" and record.device == "cpu"
    assert record.duration_s == 1.5 and record.outcome == "finished" and record.created_at == 1000.0
    assert not record.starred and record.trajectory_path == str(tmp_path / "t.trajectory.safetensors")
    assert record.exports == (("gif", str(tmp_path / "a.gif")), ("png", str(tmp_path / "a.png")))
    assert len(record.thumbnail) < 8_000
    with Image.open(io.BytesIO(record.thumbnail)) as thumbnail:
        assert max(thumbnail.size) <= 128 and thumbnail.size[0] >= 100  # 2x2 grid of 28 px, enlarged
    assert history.get_run(run_id + 1) is None


def test_cancelled_runs_are_kept_and_others_refused(history):
    run_id = history.add_run(synthetic(cancelled=True))
    assert history.get_run(run_id).outcome == "cancelled" and history.get_run(run_id).thumbnail
    running = synthetic()
    running.outcome = "running"
    with pytest.raises(ValueError, match="finished or cancelled"):
        history.add_run(running)


def test_filters_newest_first_star_and_delete(history, tmp_path):
    ids = {}
    for when, (model, sampler, family) in enumerate([("digits", "ddim", "diffusion"), ("digits", "euler", "diffusion"),
                                                      ("faces", "ddim", "diffusion"), ("vae-digits", "none", "vae")]):
        ids[model, sampler] = history.add_run(synthetic(model, sampler, family), created_at=100.0 + when)
    assert [r.id for r in history.list_runs()] == sorted(ids.values(), reverse=True)
    assert [r.model for r in history.list_runs(model="digits")] == ["digits", "digits"]
    assert [r.model for r in history.list_runs(sampler="ddim")] == ["faces", "digits"]
    assert [r.model for r in history.list_runs(family="vae")] == ["vae-digits"]
    assert history.list_runs(model="digits", sampler="euler")[0].id == ids["digits", "euler"]
    assert history.list_runs(starred=True) == []
    history.star(ids["faces", "ddim"])
    assert [r.model for r in history.list_runs(starred=True)] == ["faces"]
    history.star(ids["faces", "ddim"], False)
    assert history.list_runs(starred=True) == []
    assert len(history.list_runs(limit=2)) == 2
    assert history.distinct("model") == ["digits", "faces", "vae-digits"]
    assert history.distinct("sampler") == ["ddim", "euler", "none"]
    kept = tmp_path / "export.png"
    kept.write_bytes(b"png")
    history.record_export(ids["digits", "ddim"], kept, "png")
    history.delete(ids["digits", "ddim"])
    assert history.get_run(ids["digits", "ddim"]) is None and len(history.list_runs()) == 3
    assert kept.exists()  # only the row goes; the person's files stay
    orphans = sqlite3.connect(history.path).execute("SELECT COUNT(*) FROM exports").fetchone()[0]
    assert orphans == 0


def test_migrates_a_version_1_database(isolated_user_data):
    path = isolated_user_data / "history.sqlite3"
    path.parent.mkdir(parents=True)
    old = sqlite3.connect(path, isolation_level=None)
    assert migrate(old, target=1) == 1
    old.execute("INSERT INTO runs (created_at, recipe_json, model, sampler, family, model_hash, device, duration_s, "
                "outcome, thumbnail) VALUES (5.0, ?, 'digits', 'ddim', 'diffusion', NULL, 'cpu', 2.0, 'finished', NULL)",
                (Recipe(model="digits", sampler="ddim").to_json(),))
    old.close()
    with History() as history:
        (record,) = history.list_runs()
        assert record.model == "digits" and not record.starred and record.trajectory_path is None
        history.star(record.id)
        history.record_export(record.id, Path("x.gif"), "gif")
        assert history.get_run(record.id).exports == (("gif", "x.gif"),)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 3


def test_refuses_a_newer_database(isolated_user_data):
    isolated_user_data.mkdir(parents=True)
    sqlite3.connect(isolated_user_data / "history.sqlite3").execute("PRAGMA user_version = 99")
    with pytest.raises(NewerSchema, match="newer Noisescope"):
        History()


def test_a_writer_thread_and_a_reader_thread(history):
    errors = []

    def write():
        try:
            for index in range(30):
                history.add_run(synthetic(seed=index, batch=1, size=4))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    counts = []
    while writer.is_alive():
        counts.append(len(history.list_runs()))  # reads on this thread while the other one writes
    writer.join()
    assert errors == [] and len(history.list_runs()) == 30
    assert counts == sorted(counts) and all(0 <= c <= 30 for c in counts)


KILLED_WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from tests.engine.test_history import synthetic
    from engine.history import History

    history = History()
    run = synthetic(batch=1, size=4)
    while True:
        run_id = history.add_run(run)
        history.record_export(run_id, "/tmp/x.png", "png")
        print(run_id, flush=True)
""")


def test_survives_sigkill_mid_write(isolated_user_data):
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER.format(root=str(ROOT))],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    committed = []
    try:
        while len(committed) < 40:
            line = writer.stdout.readline()
            assert line, "the writer died on its own"
            committed.append(int(line))
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    connection = sqlite3.connect(isolated_user_data / "history.sqlite3")
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with History() as history:
        stored = {r.id for r in history.list_runs()}
        assert set(committed) <= stored  # every committed run survived (a later one may too)
        assert all(history.get_run(run_id).recipe().model == "digits" for run_id in committed)


def test_a_kept_trajectory_reopens_and_goes_with_its_run(history, tmp_path, monkeypatch):
    from engine.export.trajectory_file import load_trajectory
    from engine.history import kept_trajectories

    run = synthetic()
    kept = kept_trajectories.keep_trajectory(history.path, run)
    run_id = history.add_run(run, None, kept)
    exported = tmp_path / "mine.trajectory.safetensors"
    exported.write_bytes(kept.read_bytes())
    other_id = history.add_run(synthetic(seed=1), None, exported)
    reopened = load_trajectory(Path(history.get_run(run_id).trajectory_path))
    assert len(reopened) == 2 and np.array_equal(reopened.steps[1].x0, run.steps[1].x0)
    history.delete(run_id)
    history.delete(other_id)
    assert not kept.exists()  # the history's own file goes with its run
    assert exported.exists()  # a file the person exported stays
    monkeypatch.setattr(kept_trajectories, "KEEP_LIMIT_BYTES", 100)
    assert kept_trajectories.keep_trajectory(history.path, run) is None  # too big to keep
