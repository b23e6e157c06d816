"""Reading a run (engine/run_analysis.py): known numbers on a made-up run, and a real digits run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Recipe, run
from engine.events import Step
from engine.model_cache import ModelCache
from engine.run_analysis import (
    FINAL,
    LAST_STEP,
    ONE_PASS_MESSAGE,
    ChangeTracker,
    FinalComparison,
    analyze,
    is_one_pass,
)
from engine.trajectory import Trajectory

X0 = ([0, 100, 100], [100, 0, 100], [100, 100, 110], [100, 100, 105])  # one sample, 1 x 3 pixels, grey
SIGMAS = (3.0, 1.0, 0.5, 0.0)


def step(index: int, total: int = 4) -> Step:
    x0 = np.array(X0[index], np.uint8).reshape(1, 1, 3, 1)
    return Step(index, total, 999.0 - index, SIGMAS[index], x0, x0, x0, 0.1 * index)


def made_up(indices=(0, 1, 2, 3), final=(100, 100, 100)) -> Trajectory:
    return Trajectory(total_steps=4, steps=[step(i) for i in indices],
                      final=None if final is None else np.array(final, np.uint8).reshape(1, 1, 3, 1))


def test_known_schedule_convergence_and_settled_steps():
    result = analyze(made_up())
    assert list(result.schedule.step) == [1, 2, 3, 4]
    assert result.schedule.sigma == pytest.approx(SIGMAS)
    assert result.schedule.signal == pytest.approx([1 / math.sqrt(10), 1 / math.sqrt(2), 1 / math.sqrt(1.25), 1.0])
    assert result.reference == FINAL
    assert result.to_final == pytest.approx([100 / 3, 100 / 3, 10 / 3, 5 / 3])
    assert math.isnan(result.change[0]) and result.change[1:] == pytest.approx([200 / 3, 110 / 3, 5 / 3])
    # pixel 0 is off only at step 1, pixel 1 until step 2, pixel 2 (10 > 8 levels) until step 3
    assert result.settled.step.tolist() == [[[2, 3, 4]]]
    assert (result.settled.first, result.settled.last) == (1, 4)
    picture = result.settled.image()
    assert picture.shape == (1, 3, 3) and picture.dtype == np.uint8
    assert picture[0, 0].sum() < picture[0, 1].sum() < picture[0, 2].sum()  # later is brighter


def test_a_wider_tolerance_settles_sooner():
    assert analyze(made_up(), tolerance=10).settled.step.tolist() == [[[2, 3, 1]]]
    assert analyze(made_up(), tolerance=100).settled.step.tolist() == [[[1, 1, 1]]]


def test_thinned_run_uses_the_kept_steps_and_the_change_per_step_of_gap():
    result = analyze(made_up(indices=(0, 2, 3)))
    assert list(result.schedule.step) == [1, 3, 4]
    assert result.change[1:] == pytest.approx([(100 + 0 + 10) / 3 / 2, 5 / 3])
    assert result.settled.step.tolist() == [[[3, 1, 4]]]  # step 2, where pixel 1 was off, is not kept


def test_change_tracker_follows_thinning_without_stale_pairs():
    tracker = ChangeTracker()
    every = [step(i) for i in range(4)]
    assert tracker.changes(every)[1:] == pytest.approx([200 / 3, 110 / 3, 5 / 3])
    thinned = [every[0], every[2], every[3]]
    assert tracker.changes(thinned)[1:] == pytest.approx([110 / 6, 5 / 3])
    assert len(tracker.changes(thinned[:1])) == 1


def test_unfinished_run_is_compared_with_its_last_step():
    result = analyze(made_up(final=None))
    assert result.reference == LAST_STEP and result.to_final[-1] == 0


def test_comparison_goes_a_step_at_a_time():
    comparison = FinalComparison(made_up())
    assert not comparison.advance(1) and math.isnan(comparison.to_final[0])
    assert comparison.to_final[3] == pytest.approx(5 / 3)
    assert comparison.advance(10) and comparison.done


def test_bad_input_gets_a_clear_message():
    with pytest.raises(ValueError, match="0 or more"):
        FinalComparison(made_up(), tolerance=-1)
    with pytest.raises(ValueError, match="no recorded steps"):
        FinalComparison(Trajectory())


def record(recipe: Recipe) -> Trajectory:
    trajectory = Trajectory()
    for event in run(recipe, cache=ModelCache()):
        trajectory.record(event)
    return trajectory


def test_bundled_digits_diffusion_run_converges_to_its_final_image():
    trajectory = record(Recipe(model="digits-diffusion", steps=3, batch=1, label="3", seed=2, device="cpu"))
    result = analyze(trajectory)
    assert list(result.schedule.step) == [1, 2, 3]
    assert np.all(np.diff(result.schedule.sigma) < 0) and np.all(np.diff(result.schedule.signal) > 0)
    assert result.reference == FINAL and result.to_final[-1] == 0  # the last x0 is the image
    assert result.to_final[0] > result.to_final[1] > 0  # x0 nears the image step by step
    assert result.settled.step.shape == (1, 32, 32)
    assert result.settled.step.min() >= 1 and result.settled.step.max() <= 3
    assert result.settled.image().shape[-1] == 3


def test_vae_run_is_one_pass_with_nothing_to_plot():
    trajectory = record(Recipe(model="digits-vae", batch=1, seed=1, device="cpu"))
    assert is_one_pass(trajectory)
    with pytest.raises(ValueError, match="one-pass"):
        analyze(trajectory)
    assert "VAE or GAN" in ONE_PASS_MESSAGE
