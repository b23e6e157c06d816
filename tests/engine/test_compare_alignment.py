"""Lining runs up on one playhead: by noise level across step counts and samplers, by fraction,
one-pass and unfinished runs, and the checks that refuse runs which cannot be compared."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Recipe
from engine.compare.alignment import align, describe
from engine.compare.runs import CompareRun, check_runs
from engine.errors import CompareError
from engine.events import Step
from engine.kinds import Family, Outcome
from engine.trajectory import Trajectory


def run_of(sigmas: list[float], size: int = 4, batch: int = 1, finished: bool = True, family: str = "diffusion",
           total: int | None = None) -> Trajectory:
    """A recorded run with these noise levels; step i's images are filled with the value i."""
    steps = [Step(i, total or len(sigmas), 999.0 - i, sigma, np.full((batch, size, size, 1), i, np.uint8),
                  np.full((batch, size, size, 1), 100 + i, np.uint8), None, 0.0) for i, sigma in enumerate(sigmas)]
    recipe = Recipe(model="m", family=Family(family), sampler="ddim" if family == "diffusion" else "none",
                    steps=len(sigmas), batch=batch)
    final = np.full((batch, size, size, 1), 200, np.uint8) if finished else None
    return Trajectory(recipe=recipe, total_steps=len(sigmas), steps=steps, final=final,
                      outcome=Outcome.FINISHED if finished else Outcome.CANCELLED)


def steps_of(alignment) -> list[tuple]:
    return [p.steps for p in alignment.positions]


def test_runs_of_different_step_counts_line_up_by_noise_level():
    five, three = run_of([10, 5, 2, 1, 0.5]), run_of([10, 2, 0.5])
    alignment = align([five, three])
    assert [p.level for p in alignment.positions] == pytest.approx([10, 5, 2, 1, 0.5, 0])
    # at sigma 5 the 3-step run is nearer its sigma 10 (ratio 2) than its sigma 2 (ratio 2.5); at sigma 1 it is
    # halfway (ratio 2 both ways) and shows the later step
    assert steps_of(alignment) == [(0, 0), (1, 0), (2, 1), (3, 2), (4, 2), (None, None)]
    assert alignment.positions[-1].final and not alignment.positions[-2].final
    assert alignment.shown(3, 1) == 2 and describe(three, 2) == "step 3/3, sigma 0.5"


def test_the_digits_schedules_of_two_samplers_line_up_where_their_noise_levels_match():
    # the noise levels digits-diffusion records for DDIM at 6 steps and Euler at 4 (trailing spacing)
    ddim = run_of([3.7086127604590495, 1.7381212393830436, 1.009238838487447, 0.5876084593509606,
                   0.27937570467147527, 0.006427108610177359])
    euler = run_of([2.4462790489196777, 1.0155508518218994, 0.4268367290496826, 0.006427108775824308])
    alignment = align([ddim, euler])
    assert steps_of(alignment) == [(0, 0), (1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (None, None)]
    # sigma 1.738 (DDIM's step 2) shows what sigma 2.446 showed, so it is no position of its own; the two
    # schedules' last levels (equal but for float32 rounding) are one position
    assert [round(p.level, 4) for p in alignment.positions] == [3.7086, 2.4463, 1.0156, 0.5876, 0.2794, 0.0064, 0]


def test_every_run_shows_its_step_nearest_in_log_sigma():
    runs = [run_of([14.6, 6.0, 2.1, 0.9, 0.3, 0.05]), run_of([14.6, 3.0, 0.4, 0.03]), run_of([9.0, 1.1, 1.1, 0.1, 0.1])]
    alignment = align(runs)
    for position in alignment.positions[:-1]:
        for run, shown in zip(runs, position.steps, strict=True):
            distances = [abs(math.log(s.sigma) - math.log(position.level)) for s in run.steps]
            assert distances[shown] == pytest.approx(min(distances))
    for index in range(len(runs)):  # the playhead never sends a run backwards
        shown = [p.steps[index] for p in alignment.positions[:-1]]
        assert shown == sorted(shown)


def test_a_level_evaluated_twice_shows_the_later_step():
    heun = run_of([1.75, 0.59, 0.59, 0.0064, 0.0064])  # Heun evaluates each level twice
    alignment = align([heun, run_of([1.75, 0.59, 0.0064])])
    assert steps_of(alignment) == [(0, 0), (2, 1), (4, 2), (None, None)]


def test_by_fraction_of_the_run():
    alignment = align([run_of([5, 4, 3, 2, 1]), run_of([5, 3, 1])], "fraction")
    assert [p.level for p in alignment.positions] == [0, 0.25, 0.5, 0.75, 1, 1]
    assert steps_of(alignment) == [(0, 0), (1, 1), (2, 1), (3, 2), (4, 2), (None, None)]


def test_fraction_uses_the_step_index_of_a_thinned_run():
    thinned = run_of([5, 3, 1], total=9)  # recorded steps 0, 1, 2 of 9: fractions 0, 1/8, 2/8
    thinned.steps[:] = [Step(i * 4, 9, 0.0, s.sigma, s.x_t, s.x0, None, 0.0) for i, s in enumerate(thinned.steps)]
    alignment = align([thinned, run_of([5, 1])], "fraction")
    assert [p.level for p in alignment.positions] == [0, 0.5, 1, 1]
    assert steps_of(alignment) == [(0, 0), (1, 1), (2, 1), (None, None)]


def test_a_one_pass_run_shows_its_image_throughout_and_an_unfinished_run_its_last_step():
    vae = run_of([0.0], family="vae")
    cancelled = run_of([10, 5, 2], finished=False)
    alignment = align([run_of([10, 5, 2, 1]), vae, cancelled])
    assert steps_of(alignment) == [(0, 0, 0), (1, 0, 1), (2, 0, 2), (3, 0, 2), (None, None, 2)]
    assert describe(vae, 0) == "one pass" and describe(vae, None) == "final"
    notes = check_runs([CompareRun(run_of([10, 1]), "a"), CompareRun(vae, "v"), CompareRun(cancelled, "c")])
    assert notes == ["v is a one-pass vae run: its single image is shown throughout",
                     "c did not finish (cancelled): its last recorded step is shown to the end"]
    two_decoders = align([vae, run_of([0.0], family="gan")])
    assert steps_of(two_decoders) == [(0, 0), (None, None)] and two_decoders.positions[0].level == 0


def test_nearest_position_of_a_runs_step():
    alignment = align([run_of([10, 5, 2, 1, 0.5]), run_of([10, 2, 0.5])])
    assert alignment.nearest_position(1, 1) == 2 and alignment.nearest_position(0, 3) == 3
    assert alignment.nearest_position(1, 0) == 0


@pytest.mark.parametrize(("runs", "sample", "message"), [
    ([run_of([1.0])], 0, "a comparison takes 2 to 4 runs, not 1: add 1 more"),
    ([run_of([1.0])] * 5, 0, "a comparison takes 2 to 4 runs, not 5: leave 1 out"),
    ([run_of([1.0]), run_of([1.0], size=8)], 0, "the runs' images differ in size (r0 4x4, r1 8x8): compare runs "
                                                 "of one image size"),
    ([run_of([1.0], batch=3), run_of([1.0], batch=2)], 2, "sample 2 is not in every run (the smallest batch has 2): "
                                                          "pick a sample from 0 to 1"),
    ([run_of([1.0]), Trajectory()], 0, "r1 recorded no steps: there is nothing of it to compare"),
])
def test_runs_that_cannot_be_compared_are_refused_with_a_reason(runs, sample, message):
    with pytest.raises(CompareError) as caught:
        check_runs([CompareRun(run, f"r{i}") for i, run in enumerate(runs)], sample)
    assert caught.value.message == message


def test_an_unknown_alignment_is_refused():
    with pytest.raises(CompareError, match="aligned by sigma or fraction, not 'time'"):
        align([run_of([1.0]), run_of([1.0])], "time")
