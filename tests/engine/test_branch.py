"""Branching a diffusion run from one of its steps (engine/branch.py, engine/course.py): with nothing
changed a branch IS its parent, bit for bit, for every sampler; with changes it starts from the
parent's step and differs after it; its recipe says it is a branch and makes it again."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Recipe
from engine.branch import Branch, describe_changes
from engine.errors import InvalidRecipe
from engine.events import Finished, Started, Step
from engine.samplers import SAMPLERS
from tests.engine.helpers import events_of

STEPS = 4


def parent_run(sampler: str, **changes) -> list:
    """A short guided run of the bundled digits model (guidance: two passes a step, the real path)."""
    eta = {"eta": 0.5} if sampler == "ddim" else {}  # DDIM at eta 0.5 draws noise: generators replayed too
    recipe = Recipe(**{"model": "digits-diffusion", "device": "cpu", "sampler": sampler, "steps": STEPS, "seed": 5,
                       "batch": 2, "label": "3", **eta, **changes})
    events = events_of(recipe)
    assert isinstance(events[-1], Finished), events[-1]
    return events


def steps_of(events) -> list[Step]:
    return [e for e in events if isinstance(e, Step)]


def branch_of(events, from_step: int, **changes) -> list:
    parent = events[-1].recipe  # the resolved recipe, as a trajectory file holds it
    branch = events_of(parent.replace(**changes, branch=Branch(parent, from_step)))
    assert isinstance(branch[-1], Finished), branch[-1]
    return branch


@pytest.mark.parametrize("sampler", list(SAMPLERS))
def test_an_unchanged_branch_ends_on_the_parents_image_bit_for_bit(sampler):
    parent = parent_run(sampler)
    total = parent[0].total_steps
    branch = branch_of(parent, 2)  # past two steps: a multistep sampler's history must be the parent's too
    assert np.array_equal(branch[-1].images, parent[-1].images), sampler
    assert branch[0].total_steps == total
    for ours, theirs in zip(steps_of(branch), steps_of(parent), strict=True):
        assert np.array_equal(ours.x_t, theirs.x_t) and ours.sigma == theirs.sigma


def test_a_branch_of_a_branch_replays_the_whole_lineage():
    parent = parent_run("dpmpp_2m")
    first = branch_of(parent, 1, guidance=6.0)
    second = branch_of(first, 2)  # unchanged: ends where `first` ended
    assert np.array_equal(second[-1].images, first[-1].images)
    assert second[-1].recipe.branch.depth == 2 and second[-1].recipe.branch.root() == parent[-1].recipe
    before = branch_of(first, 0, guidance=3.0)  # from before `first` changed anything, its change undone
    assert np.array_equal(before[-1].images, parent[-1].images)


def test_a_changed_sampler_starts_from_the_parents_step_and_differs():
    parent = parent_run("dpmpp_2m", steps=6)
    k = 3
    branch = branch_of(parent, k, sampler="euler", steps=12)
    ours, theirs = steps_of(branch), steps_of(parent)
    for index in range(k + 1):  # steps 0..k-1 replayed; step k evaluates the parent's step-k sample
        assert np.array_equal(ours[index].x_t, theirs[index].x_t), index
    sigma_k = theirs[k].sigma
    assert ours[k].sigma == sigma_k  # the bridge starts at the parent's noise level
    new = ours[k + 1:]
    assert new and all(s.sigma < sigma_k for s in new)  # the rest of Euler's 12-step schedule, below sigma_k
    assert [s.sigma for s in new] == sorted((s.sigma for s in new), reverse=True)
    assert branch[0].total_steps == len(ours) == k + 1 + len(new)
    assert not np.array_equal(branch[-1].images, parent[-1].images)
    assert branch[-1].images.std() > 0


def test_a_changed_guidance_keeps_the_parents_scheduler_and_changes_the_end():
    parent = parent_run("unipc", steps=6)
    branch = branch_of(parent, 3, guidance=8.0, label="8")
    assert branch[0].total_steps == parent[0].total_steps  # the same schedule carries on: no bridge
    assert [s.sigma for s in steps_of(branch)] == [s.sigma for s in steps_of(parent)]
    assert np.array_equal(steps_of(branch)[3].x_t, steps_of(parent)[3].x_t)
    assert not np.array_equal(branch[-1].images, parent[-1].images)


def test_a_branch_recipe_carries_its_parent_and_makes_the_same_pixels_again():
    parent = parent_run("euler_a")
    branch = branch_of(parent, 2, sampler="ddim", steps=7, eta=0.3)
    recipe = branch[-1].recipe
    again = Recipe.from_json(recipe.to_json())
    assert again == recipe and again.branch.parent == parent[-1].recipe and again.branch.from_step == 2
    assert set(recipe.branch.changes(recipe)) == {"sampler", "steps", "eta"}
    assert "sampler euler_a -> ddim" in describe_changes(recipe)
    assert np.array_equal(events_of(again)[-1].images, branch[-1].images)
    assert "branch" not in Recipe().to_dict()  # a plain run's JSON is as it was before branches


def test_a_step_past_the_parents_end_is_refused_with_the_range():
    parent = parent_run("heun")  # Heun: 2 evaluations a step, so 7 steps for 4
    total = parent[0].total_steps
    events = events_of(parent[-1].recipe.replace(branch=Branch(parent[-1].recipe, total)))
    assert not any(isinstance(e, (Started, Step)) for e in events)
    assert f"its parent run has {total} steps (0 to {total - 1})" in events[-1].message


def test_a_branch_keeps_what_makes_the_samples_and_only_diffusion_branches():
    parent = Recipe(model="digits-diffusion", seed=4, batch=2, steps=5)
    with pytest.raises(InvalidRecipe, match="keeps its parent's seed"):
        parent.replace(seed=5, branch=Branch(parent, 1))
    with pytest.raises(InvalidRecipe, match="keeps its parent's batch"):
        parent.replace(batch=1, branch=Branch(parent, 1))
    with pytest.raises(InvalidRecipe, match="only a diffusion run can be branched"):
        Branch(Recipe(model="digits-vae", sampler="none", steps=1), 0)
    with pytest.raises(InvalidRecipe, match="step index 0 or more"):
        Branch(parent, -1)
    with pytest.raises(InvalidRecipe, match="from_step and parent"):
        Recipe.from_dict({**parent.to_dict(), "branch": {"from_step": 1}})
    nested = parent.to_dict()
    for _ in range(500):  # a hostile file: refused before any recursion, not with a RecursionError
        nested = {**parent.to_dict(), "branch": {"from_step": 0, "parent": nested}}
    with pytest.raises(InvalidRecipe, match="nested more than 64 deep"):
        Recipe.from_dict(nested)


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory):
    from tests.engine.tiny_sd import tiny_sd_folder

    return tiny_sd_folder(tmp_path_factory.mktemp("tiny-sd"))


def test_text_to_image_branches_through_the_same_course(tiny_sd):
    recipe = Recipe(model=str(tiny_sd), prompt="a red cat", negative_prompt="blurry", steps=4, guidance=6.0,
                    seed=11, device="cpu", width=32, height=32, sampler="dpmpp_2m")
    parent = events_of(recipe)
    assert isinstance(parent[-1], Finished), parent[-1]
    unchanged = branch_of(parent, 2)
    assert np.array_equal(unchanged[-1].images, parent[-1].images)
    assert all(np.array_equal(a.latents, b.latents) for a, b in zip(steps_of(unchanged), steps_of(parent), strict=True))
    reprompted = branch_of(parent, 2, prompt="a blue dog", negative_prompt="blurry", sampler="euler", steps=6)
    assert np.array_equal(steps_of(reprompted)[1].latents, steps_of(parent)[1].latents)
    assert not np.array_equal(reprompted[-1].images, parent[-1].images)
