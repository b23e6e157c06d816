"""The preview budget is a setting (issue 12): `preview_budget_gb` in the settings file, which the
window's runs keep to (thinning previews past it, and saying so); a bad value is a problem line."""

from __future__ import annotations

import json

import numpy as np

from engine import Recipe, config_file
from engine.events import Started, Step
from engine.memory import DEFAULT_PREVIEW_BUDGET, GB
from gui.view_model import ViewModel


def _settings(**values) -> None:
    path = config_file.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"models_folders": [], **values}))


def test_the_budget_is_read_from_the_settings_file():
    assert config_file.preview_budget() == DEFAULT_PREVIEW_BUDGET  # no file
    _settings(preview_budget_gb=0.5)
    assert config_file.preview_budget() == GB // 2 and config_file.problems() == []
    _settings(preview_budget_gb=0)
    assert config_file.preview_budget() is None  # no limit


def test_a_bad_budget_is_a_problem_line_and_the_default_holds():
    for bad in ("big", -1, True, [2]):
        _settings(preview_budget_gb=bad)
        assert config_file.preview_budget() == DEFAULT_PREVIEW_BUDGET
        lines = config_file.problems()
        assert len(lines) == 1 and "preview_budget_gb must be a number of GB" in lines[0] and repr(bad) in lines[0]


def test_a_window_run_keeps_to_the_settings_budget(qtbot):
    _settings(preview_budget_gb=5 * 3 * 64 / GB)  # room for 5 steps' previews of 64 bytes a view
    vm = ViewModel()
    recipe = Recipe(model="tiny", steps=12)
    vm.begin_run(recipe)
    vm.on_event(Started(recipe, 12, (8, 8, 1), "cpu", "float32", "tiny"))
    frame = np.zeros((1, 8, 8, 1), np.uint8)
    for index in range(12):
        vm.on_event(Step(index, 12, 999.0 - index, 1.0, frame, frame, frame, 0.01 * index))
    trajectory = vm.view.trajectory
    assert trajectory.preview_budget == 5 * 3 * 64
    assert trajectory.keep_every > 1 and len(trajectory.steps) < 12 and trajectory.notices
