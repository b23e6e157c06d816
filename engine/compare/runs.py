"""Which runs can be compared: 2 to 4 recorded runs with steps, of one image size.

A one-pass run (VAE, GAN) is allowed beside a diffusion run: its single image is shown
throughout, and a note says so. Runs of one size but different channels (grey digits beside an
RGB model's run) are compared in RGB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.errors import CompareError
from engine.kinds import Family
from engine.trajectory import Trajectory

MIN_RUNS, MAX_RUNS = 2, 4
LETTERS = "ABCD"  # what the panes, the pairs and the exports call the runs, in the order given


@dataclass(frozen=True)
class CompareRun:
    trajectory: Trajectory
    name: str  # what a person knows it by: the file name, or the gallery's title


def is_one_pass(trajectory: Trajectory) -> bool:
    """A VAE or GAN run: one decode, so one recorded image and no noise level."""
    recipe = trajectory.recipe
    return len(trajectory.steps) == 1 and recipe is not None and recipe.family in (Family.VAE, Family.GAN)


def image_size(trajectory: Trajectory) -> tuple[int, int]:
    """(height, width) of the run's images."""
    return trajectory.steps[0].x_t.shape[1], trajectory.steps[0].x_t.shape[2]


def check_runs(runs: Sequence[CompareRun], sample: int = 0) -> list[str]:
    """CompareError saying what is wrong when the runs cannot be compared; otherwise the notes
    a person should read (one-pass runs, runs that did not finish)."""
    count = len(runs)
    if count < MIN_RUNS:
        raise CompareError(f"a comparison takes {MIN_RUNS} to {MAX_RUNS} runs, not {count}: add "
                           f"{MIN_RUNS - count} more")
    if count > MAX_RUNS:
        raise CompareError(f"a comparison takes {MIN_RUNS} to {MAX_RUNS} runs, not {count}: leave "
                           f"{count - MAX_RUNS} out")
    for run in runs:
        if run.trajectory.recipe is None or not run.trajectory.steps:
            raise CompareError(f"{run.name} recorded no steps: there is nothing of it to compare")
    sizes = [image_size(run.trajectory) for run in runs]
    if len(set(sizes)) > 1:
        listed = ", ".join(f"{run.name} {w}x{h}" for run, (h, w) in zip(runs, sizes, strict=True))
        raise CompareError(f"the runs' images differ in size ({listed}): compare runs of one image size")
    smallest = min(run.trajectory.steps[0].x_t.shape[0] for run in runs)
    if not 0 <= sample < smallest:
        raise CompareError(f"sample {sample} is not in every run (the smallest batch has {smallest}): pick a sample "
                           f"from 0 to {smallest - 1}")
    notes = []
    for run in runs:
        trajectory = run.trajectory
        if is_one_pass(trajectory):
            family = trajectory.recipe.family.value if trajectory.recipe and trajectory.recipe.family else "one-pass"
            notes.append(f"{run.name} is a one-pass {family} run: its single image is shown throughout")
        elif trajectory.final is None:
            notes.append(f"{run.name} did not finish ({trajectory.outcome.value}): its last recorded step is shown "
                         "to the end")
    return notes
