""""Decode this step": the button asks, the engine worker decodes with the run's own VAE (a tiny
random Stable Diffusion folder), and the x0 pane shows exactly engine.latent_previews.decode_step's
pixels; a failure is a banner, never a traceback. Also the adapter's generic `call` job."""

from __future__ import annotations

import asyncio
import dataclasses

import numpy as np
import pytest

from engine import Recipe
from engine.errors import ModelNotFound
from engine.latent_previews import decode_step
from engine.models.catalog import find_model
from engine.models.registry import load_model
from engine.trajectory import Trajectory
from gui.engine_adapter import EngineAdapter
from tests.engine.helpers import events_of
from tests.engine.tiny_sd import tiny_sd_folder


@pytest.fixture(scope="module")
def sd_run(tmp_path_factory):
    """A recorded run of a tiny SD folder (a path as its model: no catalog needed), batch 2."""
    folder = tiny_sd_folder(tmp_path_factory.mktemp("tiny-sd"))
    trajectory = Trajectory()
    for event in events_of(Recipe(model=str(folder), prompt="a cat", width=48, height=32, steps=3, batch=2,
                                  guidance=5.0, seed=3, device="cpu")):
        trajectory.record(event)
    assert trajectory.outcome == "finished" and trajectory.has_latents
    return folder, trajectory


def shown_pixels(viewer) -> np.ndarray:
    """The x0 pane's image as (H, W, 3) uint8."""
    image = viewer.canvases["x0"].image.convertToFormat(viewer.canvases["x0"].image.Format.Format_RGB888)
    height, width, stride = image.height(), image.width(), image.bytesPerLine()
    return np.frombuffer(image.constBits(), np.uint8).reshape(height, stride)[:, :width * 3].reshape(height, width, 3)


def reference_decode(qtbot, adapter, folder, trajectory, step):
    """decode_step with the model loaded afresh (not the window's cache), run on the engine's thread:
    torch's thread count is per thread, and another count sums in another order (1 level apart)."""
    import torch

    def decode(_cache):
        return decode_step(trajectory, step, load_model(find_model(str(folder)), "cpu", torch.float32))

    task = asyncio.ensure_future(adapter.call(decode))
    qtbot.waitUntil(task.done, timeout=20_000)
    return task.result()


def test_decode_this_step_shows_the_vae_decode(qtbot, studio, sd_run):
    folder, trajectory = sd_run
    vm, viewer = studio.view_model, studio.window.viewer
    assert vm.show_trajectory(trajectory, "test run")
    vm.playhead.set_step(1)
    vm.view.set_focus(1)  # the second sample alone: its pixels, not a grid's
    assert viewer.decode_button.isVisible() and "Decoded with the VAE" not in viewer.titles["x0"].text()
    approx = shown_pixels(viewer).copy()

    viewer.decode_button.click()
    qtbot.waitUntil(lambda: "Decoded with the VAE" in viewer.titles["x0"].text(), timeout=20_000)
    expected = reference_decode(qtbot, studio.adapter, folder, trajectory, 1)
    assert expected.shape == (2, 32, 48, 3)
    assert np.array_equal(viewer.decoded[2], expected)
    assert np.array_equal(shown_pixels(viewer), expected[1])  # full size, not the approximation
    assert approx.shape[:2] != expected.shape[1:3] or not np.array_equal(approx, expected[1])
    assert vm.status.error is None and viewer.decode_button.isEnabled()

    vm.playhead.set_step(2)  # another step: its own preview again, not step 1's decode
    assert "Decoded with the VAE" not in viewer.titles["x0"].text()
    vm.playhead.set_step(1)
    assert "Decoded with the VAE" in viewer.titles["x0"].text()


def test_a_missing_model_is_a_banner_not_a_traceback(qtbot, studio, sd_run):
    _, trajectory = sd_run
    gone = Trajectory(recipe=dataclasses.replace(trajectory.recipe, model="no-such-model"), steps=trajectory.steps,
                      total_steps=trajectory.total_steps, outcome=trajectory.outcome)
    vm, viewer = studio.view_model, studio.window.viewer
    assert vm.show_trajectory(gone, "test run")
    viewer.decode_button.click()
    qtbot.waitUntil(lambda: vm.status.error is not None, timeout=10_000)
    kind, message = vm.status.error
    assert kind == "model_not_found" and "'no-such-model'" in message and "decoding needs the VAE" in message
    assert studio.window.banner.isVisible() and "Traceback" not in message
    assert "Decoded with the VAE" not in viewer.titles["x0"].text() and viewer.decode_button.isEnabled()


def test_the_call_job_returns_results_and_raises_errors_on_the_gui_thread(qtbot, event_loop_qt):
    import threading

    adapter = EngineAdapter()
    adapter.start()
    threads = []

    def work(cache):
        threads.append(threading.current_thread().name)
        return cache

    async def both():
        cache = await adapter.call(work)

        def refuse(_):
            raise ModelNotFound("no model named 'x'")

        with pytest.raises(ModelNotFound, match="no model named"):
            await adapter.call(refuse)
        return cache

    try:
        task = event_loop_qt.create_task(both())
        qtbot.waitUntil(task.done, timeout=30_000)
        assert type(task.result()).__name__ == "ModelCache"  # the worker's own cache was handed over
        assert threads == ["noisescope-engine"]
    finally:
        assert adapter.shutdown()
