"""History: every finished or cancelled run, kept in a SQLite database in the user data folder."""

from engine.history.store import History, RunRecord, default_history_path
from engine.history.sweep_groups import SweepRecord

__all__ = ["History", "RunRecord", "SweepRecord", "default_history_path"]
