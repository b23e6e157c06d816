"""Shared steps for the GUI tests."""

from __future__ import annotations

from gui.run_state import RunState


def run_finished(vm) -> bool:
    return vm.status.state == RunState.IDLE and vm.view.trajectory is not None and vm.view.trajectory.outcome != "running"


def generate(qtbot, studio, timeout: int = 15_000, **fields):
    vm = studio.view_model
    for name, value in fields.items():
        vm.form.set_field(name, value)
    studio.window.controls.generate.click()
    qtbot.waitUntil(lambda: run_finished(vm), timeout=timeout)
    return vm.view.trajectory


class EventLog:
    """Records every engine event the view-model receives, in order."""

    def __init__(self, vm):
        self.events = []
        original = vm.on_event

        def record(event):
            self.events.append(event)
            original(event)

        vm.on_event = record

    @property
    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.events]
