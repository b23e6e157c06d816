"""History: every finished or cancelled run, kept in a SQLite database in the user data folder."""

from engine.history.store import History, RunRecord, default_history_path

__all__ = ["History", "RunRecord", "default_history_path"]
