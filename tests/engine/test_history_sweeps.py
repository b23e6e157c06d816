"""A sweep's cells are one group in the history (schema 4): an older database gains the group
and keeps its runs, the CLI records its cells in one group with the grid, the group names its cells."""

import json
import sqlite3

from engine.history import History
from engine.history.recording import record_run, record_sweep
from engine.history.schema import SCHEMA_VERSION, migrate
from engine.recipe import Recipe
from engine.sweep.axes import parse_axis
from engine.sweep.plan import make_plan
from tests.engine.test_cli import run_cli
from tests.engine.test_history import synthetic


def test_a_version_3_database_gains_sweep_groups_and_keeps_its_runs(isolated_user_data):
    path = isolated_user_data / "history.sqlite3"
    path.parent.mkdir(parents=True)
    old = sqlite3.connect(path, isolation_level=None)
    assert migrate(old, target=3) == 3
    recipe = Recipe(model="digits", sampler="ddim")
    for run_id, parent in ((1, None), (2, 1)):
        old.execute("INSERT INTO runs (id, created_at, recipe_json, model, sampler, family, device, duration_s, "
                    "outcome, parent_id, from_step) VALUES (?, 5.0, ?, 'digits', 'ddim', 'diffusion', 'cpu', 2.0, "
                    "'finished', ?, ?)", (run_id, recipe.to_json(), parent, 0 if parent else None))
    old.close()
    with History() as history:
        runs = {run.id: run for run in history.list_runs()}
        assert runs[2].parent_id == 1 and runs[1].sweep_id is None and runs[2].sweep_cell is None
        assert history.list_sweeps() == []
        sweep_id = history.add_sweep("X: Seed 1, 2", json.dumps({"x": {"field": "seed", "values": ["1", "2"]}}), 2)
        cell = history.add_run(synthetic(), sweep_cell=(sweep_id, 1))
        assert (history.get_run(cell).sweep_id, history.get_run(cell).sweep_cell) == (sweep_id, 1)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 4


def test_a_group_lists_its_cells_in_order_and_names_them(isolated_user_data):
    plan = make_plan(Recipe(model="digits", sampler="ddim"),
                     [parse_axis("steps=2,3", "x"), parse_axis("sampler=DDIM,Euler", "y"), parse_axis("seed=1,2", "z")])
    with History() as history:
        sweep_id = record_sweep(history, plan)
        other = record_sweep(history, plan)
        for index in (5, 0, 7):  # cells recorded as they finish, not in order (Ray)
            record_run(history, synthetic(seed=index), sweep_cell=(sweep_id, index))
        history.add_run(synthetic())  # a plain run: in no group
        cells = history.list_runs(sweep=sweep_id)
        assert [run.sweep_cell for run in cells] == [0, 5, 7]
        (group,) = history.list_sweeps()  # `other` has no cell recorded: not listed
        assert group.id == sweep_id != other and (group.cells, group.runs) == (8, 3)
        assert group.description == plan.describe() and "3 of 8 cells" in group.title()
        assert group.cell_label(5) == "steps=3, sampler=DDIM, seed=2" == plan.cell_label(plan.cells[5])
        assert group.cell_label(0) == plan.cell_label(plan.cells[0])
        history.delete(cells[0].id)
        assert history.get_sweep(sweep_id).runs == 2


def test_the_cli_records_a_sweeps_cells_as_one_group_with_its_grid(capsys, tiny_models, tmp_path):
    code, out, err = run_cli(capsys, "sweep", "--model", str(tiny_models["diffusion"]), "--label", "4", "--device",
                             "cpu", "--steps", "2", "--x", "seed=1-2", "--y", "guidance=1,3", "--out", str(tmp_path),
                             "--json")
    assert code == 0, err
    summary = json.loads(out)
    with History() as history:
        (group,) = history.list_sweeps()
        cells = history.list_runs(sweep=group.id)
        assert [run.id for run in cells] == summary["run_ids"] and [run.sweep_cell for run in cells] == [0, 1, 2, 3]
        assert group.grid_path == summary["grid"] and group.runs == group.cells == 4
        assert [group.cell_label(run.sweep_cell) for run in cells] == [cell["label"] for cell in summary["cells"]]
        assert [json.loads(run.recipe_json) for run in cells] == [cell["recipe"] for cell in summary["cells"]]
