"""The history database's schema, as numbered migrations.

`PRAGMA user_version` says which migrations a database has had; opening it applies the rest,
each in one transaction, so an older database is brought up to date and a crash mid-migration
leaves it at the version before. Never edit a migration that has shipped: add one.
"""

from __future__ import annotations

import sqlite3

from engine.errors import NoisescopeError
from engine.kinds import ErrorKind

MIGRATIONS: list[tuple[str, ...]] = [
    # 1: the first release: one row per run.
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            created_at REAL NOT NULL,
            recipe_json TEXT NOT NULL,
            model TEXT NOT NULL,
            sampler TEXT NOT NULL,
            family TEXT NOT NULL,
            model_hash TEXT,
            device TEXT NOT NULL,
            duration_s REAL NOT NULL,
            outcome TEXT NOT NULL,
            thumbnail BLOB
        )""",
        "CREATE INDEX runs_created ON runs (created_at)",
    ),
    # 2: stars, kept trajectory files and the exports made from a run.
    (
        "ALTER TABLE runs ADD COLUMN starred INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN trajectory_path TEXT",
        """CREATE TABLE exports (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX exports_run ON exports (run_id)",
    ),
    # 3: branches: the run a run continues and the step it starts from (engine/branch.py). A parent
    # deleted leaves its branches in place, parent unknown (their recipes still hold the parent's).
    (
        "ALTER TABLE runs ADD COLUMN parent_id INTEGER REFERENCES runs (id) ON DELETE SET NULL",
        "ALTER TABLE runs ADD COLUMN from_step INTEGER",
        "CREATE INDEX runs_parent ON runs (parent_id)",
    ),
    # 4: sweeps: the cells of one X/Y/Z sweep are one group (engine/sweep/). A sweep row keeps its
    # axes (to name each cell) and its grid PNG once written; a cell keeps its place in the sweep.
    (
        """CREATE TABLE sweeps (
            id INTEGER PRIMARY KEY,
            created_at REAL NOT NULL,
            description TEXT NOT NULL,
            axes_json TEXT NOT NULL,
            cells INTEGER NOT NULL,
            grid_path TEXT
        )""",
        "ALTER TABLE runs ADD COLUMN sweep_id INTEGER REFERENCES sweeps (id) ON DELETE SET NULL",
        "ALTER TABLE runs ADD COLUMN sweep_cell INTEGER",
        "CREATE INDEX runs_sweep ON runs (sweep_id, sweep_cell)",
    ),
    # 5: groups of other kinds in the sweeps table: the families side by side and interpolations
    # (engine/history/sweep_groups.py). A sweep keeps kind 'sweep'; another kind's axes_json holds
    # its cells' names ({"cells": ["tiny-vae", ...]}), a cell named by its index alone.
    (
        "ALTER TABLE sweeps ADD COLUMN kind TEXT NOT NULL DEFAULT 'sweep'",
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)


class NewerSchema(NoisescopeError):
    kind = ErrorKind.HISTORY


def migrate(connection: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations the database lacks, up to `target`; returns the version reached.

    The version is read inside the BEGIN IMMEDIATE that applies the next migration: two processes
    opening a fresh database at once would otherwise both read 0 and both create the tables."""
    while True:
        connection.execute("BEGIN IMMEDIATE")  # waits (busy timeout) while another process migrates
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise NewerSchema(f"the history was written by a newer Noisescope (schema {version}, this one "
                                  f"reads {SCHEMA_VERSION})")
            if version >= target:
                connection.execute("COMMIT")
                return version if version > target else target
            for statement in MIGRATIONS[version]:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version + 1}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
