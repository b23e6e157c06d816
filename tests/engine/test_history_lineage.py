"""History.lineage: a run's family (the run its lineage starts from, then each run's branches by
step, depth first), which the gallery's Branches toggle shows."""

from __future__ import annotations

import numpy as np

from engine import Recipe
from engine.branch import Branch
from engine.events import Finished, Started, Step
from engine.history import History
from engine.trajectory import Trajectory


def recorded(recipe: Recipe) -> Trajectory:
    trajectory = Trajectory()
    trajectory.record(Started(recipe, 3, (4, 4, 1), "cpu", "float32", recipe.model))
    frame = np.zeros((1, 4, 4, 1), np.uint8)
    trajectory.record(Step(0, 3, 500.0, 1.0, frame, frame, frame, elapsed_s=0.0))
    trajectory.record(Finished(recipe, frame, 1.0))
    return trajectory


def test_lineage_is_the_whole_family_top_down_from_any_member(tmp_path):
    root = Recipe(model="digits", family="diffusion", sampler="ddim", steps=3)
    with History(tmp_path / "history.sqlite3") as history:
        root_id = history.add_run(recorded(root))
        other = history.add_run(recorded(root.replace(seed=9)))
        late = history.add_run(recorded(root.replace(guidance=4.0, branch=Branch(root, 2))), parent_id=root_id)
        early_recipe = root.replace(sampler="euler", branch=Branch(root, 1))
        early = history.add_run(recorded(early_recipe), parent_id=root_id)
        grandchild = history.add_run(recorded(early_recipe.replace(branch=Branch(early_recipe, 2))), parent_id=early)
        family = [root_id, early, grandchild, late]  # branches by step; a branch's own branches right after it
        for member in family:
            assert [run.id for run in history.lineage(member)] == family
        assert [run.id for run in history.lineage(other)] == [other]
        assert history.lineage(12345) == []
        history.delete(root_id)  # its branches stay, parent unknown: each heads its own family now
        assert [run.id for run in history.lineage(grandchild)] == [early, grandchild]
