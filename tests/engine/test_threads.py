"""torch's thread count is chosen the same way by the command line and the window (issue 12: the CLI
set none and ran 10-20x slower on a loaded machine)."""

from __future__ import annotations

import pytest
import torch

from engine.threads import choose_threads


@pytest.fixture
def threads_restored():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_choice_leaves_a_core_for_a_gui_and_skips_busy_cores():
    assert choose_threads(gui=False, cores=8, load=0.0, environ={}) == 8
    assert choose_threads(gui=True, cores=8, load=0.0, environ={}) == 7
    assert choose_threads(gui=False, cores=2, load=3.5, environ={}) == 1  # every core busy: one thread
    assert choose_threads(gui=False, cores=8, load=3.2, environ={}) == 5
    assert choose_threads(gui=True, cores=1, load=None, environ={}) == 1
    assert choose_threads(gui=True, cores=8, load=0.0, environ={"OMP_NUM_THREADS": "3"}) == 3
    assert choose_threads(gui=False, cores=8, load=None, environ={"OMP_NUM_THREADS": "junk"}) == 8


def test_the_cli_and_the_window_set_the_same_count(monkeypatch, tiny_models, tmp_path, capsys, threads_restored):
    pytest.importorskip("PySide6")
    from engine.cli.main import main
    from gui.engine_adapter import leave_a_core_for_the_gui

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.getloadavg", lambda: (40.0, 40.0, 40.0))  # a machine busy with other work
    torch.set_num_threads(2)
    seen: list[int] = []

    def generate(args):  # what the run would see: the count set before it
        seen.append(torch.get_num_threads())
        return 0

    monkeypatch.setattr("engine.cli.generate_cmd.run_generate", generate)
    assert main(["generate", "--model", str(tiny_models["vae"]), "--out", str(tmp_path), "--no-history"]) == 0
    assert torch.get_num_threads() == 2  # main() leaves an in-process caller's count as it was
    leave_a_core_for_the_gui()
    assert seen == [torch.get_num_threads()] == [1]



def test_omp_num_threads_is_respected_by_the_window(monkeypatch, threads_restored):
    pytest.importorskip("PySide6")
    from gui.engine_adapter import leave_a_core_for_the_gui

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    torch.set_num_threads(2)
    leave_a_core_for_the_gui()
    assert torch.get_num_threads() == 1
