"""The history store: add, list, star and delete runs, record exports.

SQLite in WAL mode with synchronous=FULL: a committed run survives the process being killed at
any moment (or the machine losing power), and readers never block the writer. Each thread gets
its own connection (the GUI reads on its thread while the engine worker writes on its own);
writes from the threads of one process are serialised by a lock, and other processes wait on
SQLite's busy timeout.

Deleting a run removes its row and its export rows, and the trajectory file the history kept by
itself (kept_trajectories.py); exported files stay where they are: they belong to the person.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.history.kept_trajectories import is_kept_by_history
from engine.history.schema import migrate
from engine.history.sweep_groups import KINDS, SWEEP, SweepRecord
from engine.history.thumbnails import run_thumbnail
from engine.paths import user_data_dir
from engine.recipe import Recipe
from engine.trajectory import Trajectory

FILE_NAME = "history.sqlite3"
_COLUMNS = ("id, created_at, recipe_json, model, sampler, family, model_hash, device, duration_s, outcome, "
            "starred, thumbnail, trajectory_path, parent_id, from_step, sweep_id, sweep_cell")
_SWEEP_COLUMNS = ("id, created_at, description, axes_json, cells, grid_path, "
                  "(SELECT COUNT(*) FROM runs WHERE runs.sweep_id = sweeps.id), kind")


def default_history_path() -> Path:
    return user_data_dir() / FILE_NAME


@dataclass(frozen=True)
class RunRecord:
    id: int
    created_at: float  # seconds since the epoch
    recipe_json: str
    model: str
    sampler: str
    family: str
    model_hash: str | None
    device: str
    duration_s: float
    outcome: str  # finished or cancelled
    starred: bool
    thumbnail: bytes | None  # PNG bytes
    trajectory_path: str | None
    exports: tuple[tuple[str, str], ...] = ()  # (kind, path), filled by get_run
    parent_id: int | None = None  # a branch: the recorded run it continues (None: none, or not recorded)
    from_step: int | None = None  # a branch: the parent's step it starts from
    sweep_id: int | None = None  # a sweep's cell: the sweep (sweeps table) it is a cell of
    sweep_cell: int | None = None  # its index in that sweep, in running order

    def recipe(self) -> Recipe:
        return Recipe.from_json(self.recipe_json)


class History:
    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else default_history_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        with self._write_lock:
            migrate(self._connection())

    # -- writing ---------------------------------------------------------------------------
    def add_run(self, trajectory: Trajectory, model_hash: str | None = None, trajectory_path: Path | None = None,
                created_at: float | None = None, parent_id: int | None = None,
                sweep_cell: tuple[int, int] | None = None) -> int:
        """Record a finished or cancelled run; returns its id. A branch's step comes from its recipe;
        `parent_id` is the recorded run it continues, when known (find_parent); `sweep_cell`:
        (sweep id, cell index) for a cell of a sweep (add_sweep)."""
        recipe = trajectory.recipe
        if recipe is None or trajectory.outcome not in ("finished", "cancelled"):
            raise ValueError(f"only finished or cancelled runs go in the history, not {trajectory.outcome}")
        values = (
            created_at if created_at is not None else time.time(), recipe.to_json(),
            trajectory.model_name or recipe.model, recipe.sampler, recipe.family or "", model_hash,
            trajectory.device, trajectory.duration_s, trajectory.outcome, run_thumbnail(trajectory),
            str(trajectory_path) if trajectory_path else None, parent_id,
            recipe.branch.from_step if recipe.branch is not None else None,
            *(sweep_cell or (None, None)),
        )
        with self._writing() as connection:
            cursor = connection.execute(
                "INSERT INTO runs (created_at, recipe_json, model, sampler, family, model_hash, device, duration_s, "
                "outcome, thumbnail, trajectory_path, parent_id, from_step, sweep_id, sweep_cell) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values)
            if cursor.lastrowid is None:  # SQLite always gives an INSERT's row id; this would be a bug there
                raise RuntimeError(f"{self.path}: SQLite gave no id for the run just added")
            return cursor.lastrowid

    def add_sweep(self, description: str, axes_json: str, cells: int, created_at: float | None = None,
                  kind: str = SWEEP) -> int:
        """A group (a sweep, or another of sweep_groups.KINDS), before its cells are recorded (add_run's
        sweep_cell); returns its id."""
        if kind not in KINDS:
            raise ValueError(f"a group is one of {', '.join(KINDS)}, not {kind!r}")
        with self._writing() as connection:
            cursor = connection.execute("INSERT INTO sweeps (created_at, description, axes_json, cells, kind) "
                                        "VALUES (?, ?, ?, ?, ?)",
                                        (created_at if created_at is not None else time.time(), description,
                                         axes_json, cells, kind))
            assert cursor.lastrowid is not None  # SQLite always gives an INSERT's row id
            return cursor.lastrowid

    def set_sweep_grid(self, sweep_id: int, path: Path) -> None:
        with self._writing() as connection:
            connection.execute("UPDATE sweeps SET grid_path = ? WHERE id = ?", (str(path), sweep_id))

    def get_sweep(self, sweep_id: int) -> SweepRecord | None:
        row = self._connection().execute(f"SELECT {_SWEEP_COLUMNS} FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        return SweepRecord(*row) if row is not None else None

    def list_sweeps(self, limit: int | None = None) -> list[SweepRecord]:
        """Groups (sweeps, families, interpolations) that still have a recorded cell, newest first."""
        query = (f"SELECT {_SWEEP_COLUMNS} FROM sweeps WHERE EXISTS (SELECT 1 FROM runs WHERE runs.sweep_id = "
                 f"sweeps.id) ORDER BY created_at DESC, id DESC LIMIT {int(limit) if limit is not None else -1}")
        return [SweepRecord(*row) for row in self._connection().execute(query)]

    def star(self, run_id: int, starred: bool = True) -> None:
        with self._writing() as connection:
            connection.execute("UPDATE runs SET starred = ? WHERE id = ?", (int(starred), run_id))

    def set_trajectory_path(self, run_id: int, path: Path | None) -> None:
        with self._writing() as connection:
            connection.execute("UPDATE runs SET trajectory_path = ? WHERE id = ?",
                               (str(path) if path else None, run_id))

    def record_export(self, run_id: int, path: Path, kind: str) -> None:
        with self._writing() as connection:
            connection.execute("INSERT INTO exports (run_id, kind, path, created_at) VALUES (?, ?, ?, ?)",
                               (run_id, kind, str(path), time.time()))

    def delete(self, run_id: int) -> None:
        """Forget a run: its row and export rows, and the trajectory the history kept for it."""
        record = self.get_run(run_id)
        with self._writing() as connection:
            connection.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        kept = record.trajectory_path if record is not None else None
        if kept is not None and is_kept_by_history(self.path, kept):
            Path(kept).unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------------------------
    def list_runs(self, model: str | None = None, sampler: str | None = None, family: str | None = None,
                  starred: bool | None = None, limit: int | None = None, offset: int = 0,
                  sweep: int | None = None) -> list[RunRecord]:
        """Runs matching every filter given, newest first (a sweep's cells: in cell order); `offset`
        skips that many (a page at a time)."""
        clauses: list[str] = []
        values: list[str | int] = []
        for column, value in (("model", model), ("sampler", sampler), ("family", family), ("sweep_id", sweep)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        if starred is not None:
            clauses.append("starred = ?")
            values.append(int(starred))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "sweep_cell, id" if sweep is not None else "created_at DESC, id DESC"
        query = f"SELECT {_COLUMNS} FROM runs{where} ORDER BY {order}"
        if limit is not None or offset:
            query += f" LIMIT {int(limit) if limit is not None else -1} OFFSET {int(offset)}"
        return [_record(row) for row in self._connection().execute(query, values)]

    def get_run(self, run_id: int) -> RunRecord | None:
        connection = self._connection()
        row = connection.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        exports = connection.execute("SELECT kind, path FROM exports WHERE run_id = ? ORDER BY id", (run_id,))
        return _record(row, tuple((kind, path) for kind, path in exports))

    def find_parent(self, recipe: Recipe, trajectory_path: Path | None = None) -> int | None:
        """The recorded run a branch recipe continues: the run whose steps are in `trajectory_path`
        (the file it was branched from) if its recipe is the parent's, else the newest run with the
        parent's recipe. None for a plain recipe or a parent not in the history."""
        if recipe.branch is None:
            return None
        parent_json = recipe.branch.parent.to_json()
        connection = self._connection()
        if trajectory_path is not None:
            spellings = (str(trajectory_path), str(Path(trajectory_path).resolve()))  # as given, or absolute
            row = connection.execute("SELECT id FROM runs WHERE trajectory_path IN (?, ?) AND recipe_json = ? "
                                     "ORDER BY id DESC LIMIT 1", (*spellings, parent_json)).fetchone()
            if row is not None:
                return int(row[0])
        row = connection.execute("SELECT id FROM runs WHERE recipe_json = ? ORDER BY created_at DESC, id DESC LIMIT 1",
                                 (parent_json,)).fetchone()
        return int(row[0]) if row is not None else None

    def branches(self, run_id: int) -> list[RunRecord]:
        """The recorded runs that continue this one, by the step they start from (then oldest first)."""
        rows = self._connection().execute(f"SELECT {_COLUMNS} FROM runs WHERE parent_id = ? "
                                          "ORDER BY from_step, created_at, id", (run_id,))
        return [_record(row) for row in rows]

    def lineage(self, run_id: int) -> list[RunRecord]:
        """The family a run belongs to, as a tree read top down: the run its lineage starts from,
        then each run's branches (by step) after it, depth first. [] for a run not in the history."""
        connection = self._connection()
        root, above = run_id, {run_id}
        while True:  # up to the first run whose parent is not recorded
            row = connection.execute("SELECT parent_id FROM runs WHERE id = ?", (root,)).fetchone()
            if row is None:
                return []
            if row[0] is None or row[0] in above:  # parents are older runs; a loop is a damaged file
                break
            root = row[0]
            above.add(root)
        family: list[RunRecord] = []
        shown: set[int] = set()
        stack = [record for record in (self.get_run(root),) if record is not None]
        while stack:
            run = stack.pop()
            if run.id not in shown:
                shown.add(run.id)
                family.append(run)
                stack.extend(reversed(self.branches(run.id)))
        return family

    def distinct(self, column: str) -> list[str]:
        """The values a filter can take: column is model, sampler or family."""
        if column not in ("model", "sampler", "family"):
            raise ValueError(f"cannot list {column!r}")
        rows = self._connection().execute(f"SELECT DISTINCT {column} FROM runs ORDER BY {column}")
        return [value for (value,) in rows]

    def close(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            _set_wal(connection)
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")


def _set_wal(connection: sqlite3.Connection, wait_s: float = 10.0) -> None:
    """Turn on WAL. SQLite answers "database is locked" at once, without its busy timeout, when another
    process is turning a fresh file to WAL at the same moment: so wait here as the timeout would."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _record(row: tuple[Any, ...], exports: tuple[tuple[str, str], ...] = ()) -> RunRecord:
    (run_id, created_at, recipe_json, model, sampler, family, model_hash, device, duration_s, outcome,
     starred, thumbnail, trajectory_path, parent_id, from_step, sweep_id, sweep_cell) = row
    return RunRecord(run_id, created_at, recipe_json, model, sampler, family, model_hash, device, duration_s,
                     outcome, bool(starred), thumbnail, trajectory_path, exports, parent_id, from_step, sweep_id,
                     sweep_cell)
