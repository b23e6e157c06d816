"""Family, Outcome and ErrorKind: enums that still read, print and store as today's words."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

from engine import errors
from engine.cli.common import USER_ERROR_KINDS, exit_code_for
from engine.events import Cancelled, Failed, Finished
from engine.kinds import ErrorKind, Family, Outcome
from engine.recipe import Recipe
from engine.trajectory import Trajectory


def test_enums_compare_print_and_store_as_their_words():
    assert Outcome.FINISHED == "finished" and f"{Outcome.CANCELLED}" == "cancelled" and str(Family.VAE) == "vae"
    assert {"model_load": 1}[ErrorKind.MODEL_LOAD] == 1  # dictionaries keyed by the word still answer
    assert json.dumps([Family.GAN, Outcome.FAILED]) == '["gan", "failed"]'
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (word TEXT)")
    connection.execute("INSERT INTO t VALUES (?)", (Outcome.FINISHED,))
    assert connection.execute("SELECT word, typeof(word) FROM t").fetchone() == ("finished", "text")


def test_error_kinds_carry_title_hint_and_exit_code():
    assert errors.ModelLoadError.kind is ErrorKind.MODEL_LOAD and errors.ModelLoadError("x").kind == "model_load"
    assert errors.UnsafeModelFile.kind is ErrorKind.UNSAFE_MODEL and errors.InvalidRecipe.kind.exit_code == 2
    for kind in ErrorKind:
        assert kind.title and kind.hint.endswith(".") and kind.exit_code in (1, 2)
    assert ErrorKind.INTERNAL.exit_code == 1 and ErrorKind.HISTORY.exit_code == 1
    assert ErrorKind.of("no such word") is ErrorKind.INTERNAL


def test_cli_exit_codes_come_from_the_kind():
    assert exit_code_for("out_of_memory") == 2 and exit_code_for(ErrorKind.EXPORT) == 2
    assert exit_code_for("internal") == 1 and exit_code_for("something new") == 1
    person_fixes = {"invalid_recipe", "model_not_found", "model_load", "unsafe_model", "out_of_memory", "export"}
    assert set(USER_ERROR_KINDS) == person_fixes


def test_trajectory_outcome_is_an_outcome():
    recipe = Recipe()
    trajectory = Trajectory()
    assert trajectory.outcome is Outcome.RUNNING
    trajectory.record(Cancelled(recipe, 0))
    assert trajectory.outcome is Outcome.CANCELLED and trajectory.outcome == "cancelled"
    trajectory.record(Failed(recipe, ErrorKind.INTERNAL, "boom"))
    assert trajectory.outcome is Outcome.FAILED
    assert dataclasses.replace(trajectory, outcome="finished").outcome is Outcome.FINISHED  # files hand words
    trajectory.record(Finished(recipe, None, 1.0))
    assert trajectory.outcome is Outcome.FINISHED
