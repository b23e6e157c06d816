"""Help > About, `noisescope --version`, and a start with no display (issue 12, the window)."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOISESCOPE = Path(sys.executable).with_name("noisescope")


def test_version_flag_prints_the_package_version():
    out = subprocess.run([sys.executable, "-m", "gui.launcher", "--version"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"noisescope {metadata.version('noisescope')}"
    assert "PySide6" not in out.stderr


def test_without_a_display_the_window_says_so_and_exits_non_zero():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "-m", "gui.launcher"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "no display" in out.stderr and "DISPLAY" in out.stderr
    assert "xcb" not in out.stderr and "Aborted" not in out.stderr  # not Qt's plugin abort


def test_display_problem_only_on_linux_without_display_or_chosen_platform():
    from gui.launcher import display_problem

    assert display_problem({}, "linux") is not None
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "darwin") is None and display_problem({}, "win32") is None


def test_help_about_shows_the_version_and_the_mnist_attribution(qtbot):
    from gui.main_window import MainWindow
    from gui.view_model import ViewModel

    window = MainWindow(ViewModel())
    qtbot.addWidget(window)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.about_action in help_menu.actions()
    window.about_action.trigger()
    text = window.about.text.text()
    assert metadata.version("noisescope") in text
    for credit in ("LeCun", "Cortes", "Burges", "CC BY-SA 3.0", "MNIST"):
        assert credit in text
    assert window.about.isVisible()
    window.about.close()


def test_about_credits_every_bundled_models_data_with_its_links(tmp_path, monkeypatch):
    """A newly bundled model's data is credited from its config, its URL a link, its text escaped."""
    import json
    import shutil

    from gui.about_dialog import about_text

    assets = tmp_path / "assets"
    shutil.copytree(Path(__file__).parents[2] / "assets" / "models" / "digits-gan", assets / "models" / "digits-gan")
    (assets / "models" / "emoji").mkdir()
    (assets / "models" / "emoji" / "config.json").write_text(json.dumps(
        {"name": "emoji-diffusion", "data": {"attribution": "Emoji <by> others, CC-BY 4.0 "
                                                            "(https://creativecommons.org/licenses/by/4.0/)"}}))
    monkeypatch.setenv("NOISESCOPE_ASSETS", str(assets))
    text = about_text()
    assert "<li>emoji-diffusion: Emoji &lt;by&gt; others, CC-BY 4.0 (<a " in text
    assert "href='https://creativecommons.org/licenses/by/4.0/'" in text
    assert "<li>digits-gan: MNIST" in text
