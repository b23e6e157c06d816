"""A branch's step count chosen by how many steps it should have left: `branch --remaining N`.

A branch that changes the sampler, schedule type or step count lays its schedule out for `steps`
steps over the whole noise range, as a new run would, and runs the part at or below the noise
level of the parent's step K (engine/course.py). So `steps` keeps one meaning, and the recipe
alone makes the branch again. --remaining N does not re-space anything: it picks `steps`, the
smallest step count for which the branch has exactly N steps of its own after the branch point
(steps K to K+N-1 on the timeline, the bridge step included when there is one). Where no count
gives exactly N (Heun evaluates the model twice a step, so its counts jump), the smallest count
giving more than N is taken and the caller says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from engine.course import Course
from engine.errors import InvalidRecipe
from engine.recipe import MAX_STEPS, Recipe


@dataclass(frozen=True)
class RemainingSteps:
    steps: int  # the recipe's step count (over the whole noise range)
    remaining: int  # the branch's own steps with it: the N asked, or the nearest above it
    asked: int

    @property
    def exact(self) -> bool:
        return self.remaining == self.asked


LOOK_PAST = 3  # counts are nearly, not strictly, monotone in steps (timesteps round): look this far around


def steps_for_remaining(branch: Recipe, remaining: int, scheduler_config: dict[str, Any], model_name: str,
                        resolve: Callable[[Recipe], Recipe] = lambda recipe: recipe) -> RemainingSteps:
    """The step count giving `branch` (a recipe with a branch) `remaining` steps after its branch
    point. Planning only (schedulers on the CPU, no model), a few ms a count: the count is found by
    doubling then halving (about 2 log2(MAX_STEPS) plans), then the counts around it are looked at."""
    if branch.branch is None:
        raise InvalidRecipe("--remaining is for a branch: a plain run has --steps")
    if remaining < 1:
        raise InvalidRecipe(f"--remaining must be 1 or more, not {remaining}")
    start, cpu = branch.branch.from_step, torch.device("cpu")
    counts: dict[int, int | InvalidRecipe] = {}

    def count(steps: int) -> int | InvalidRecipe:
        """The branch's own steps at this step count; the refusal where the model takes no such count."""
        if steps not in counts:
            try:
                counts[steps] = Course(branch.replace(steps=steps), scheduler_config, model_name, cpu, resolve).total - start
            except InvalidRecipe as exc:  # past what the model takes (its training timesteps, repeated timesteps)
                counts[steps] = exc
        return counts[steps]

    def enough(steps: int) -> bool:  # a refused count is taken as too many: it lies past the model's range
        found = count(steps)
        return isinstance(found, InvalidRecipe) or found >= remaining

    high = 1
    while not enough(high) and high < MAX_STEPS:
        high = min(2 * high, MAX_STEPS)
    low = high // 2  # not enough at low (or low is 0); enough at high, unless high is MAX_STEPS
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    nearby = range(max(1, high - LOOK_PAST), min(MAX_STEPS, high + LOOK_PAST) + 1)
    found = [(steps, c) for steps in nearby if isinstance(c := count(steps), int) and c >= remaining]
    exact = [steps for steps, c in found if c == remaining]
    if exact:
        return RemainingSteps(exact[0], remaining, remaining)
    if found:
        return RemainingSteps(*found[0], remaining)
    refusal = count(high)
    why = f": at {high} steps, {refusal.message}" if isinstance(refusal, InvalidRecipe) else f" (up to {MAX_STEPS})"
    raise InvalidRecipe(f"no step count leaves {remaining} steps after step {start}{why}; ask for fewer, or branch "
                        "from an earlier step")
