"""The Latent map dock in the real window, with a real engine thread: a VAE's or GAN's plane drawn
as a grid of decodes, the dragged point's sample following it (drags coalesced, old planes' results
dropped), and the diffusion seed plane whose release runs the full recipe like any run."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, Qt

from engine import Recipe
from engine.latent_map import SeedPlane, grid_latents, point
from engine.model_cache import ModelCache
from engine.models.catalog import find_model
from tests.engine.helpers import finished_images

_cache = ModelCache()


def decoder(name: str):
    return _cache.get(find_model(name), torch.device("cpu"), torch.float32)


def show_map(qtbot, studio, model: str):
    vm, wiring = studio.view_model, studio.latent_map
    vm.form.set_field("model", model)
    if not wiring.dock.isVisible():
        wiring.dock.toggleViewAction().trigger()
    wiring.refresh()
    qtbot.waitUntil(lambda: wiring.model == model and wiring.ready and wiring.points.idle,
                    timeout=20_000)
    return wiring


def shown_sample(wiring) -> np.ndarray:
    image = wiring.view.sample.image
    array = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return array[:, :image.width()].copy()


def test_the_view_menu_opens_the_map_of_the_vae_and_the_sample_follows_the_point(qtbot, studio):
    from engine.latent_map.make import decode_grid, decode_latents

    wiring = studio.latent_map
    assert wiring.dock.toggleViewAction() in studio.window.view_menu.actions()
    assert not wiring.dock.isVisible()  # nothing runs for it until it is shown
    assert wiring.view.canvas.grid is None
    wiring = show_map(qtbot, studio, "tiny-vae")
    plane = wiring.view.plane
    assert plane is not None and plane.model == "tiny-vae" and plane.kind == "random"
    expected = decode_grid(decoder("tiny-vae"), plane, 9)
    assert wiring.view.canvas.cells == 9 and wiring.view.canvas.grid.width() == 9 * expected.shape[2]
    wiring.drag(0.5, -0.25)
    qtbot.waitUntil(lambda: wiring.points.idle and "u +0.50, v -0.25" in wiring.view.point_text.text(), timeout=10_000)
    at_point = decode_latents(decoder("tiny-vae"), point(plane, 0.5, -0.25)[None])[0]
    assert np.array_equal(shown_sample(wiring), at_point[..., 0])
    assert not np.array_equal(at_point, expected[40])  # not the centre's picture


def test_a_fast_drag_is_coalesced_and_the_gui_thread_never_waits(qtbot, studio):
    from engine.latent_map.make import decode_latents

    wiring = show_map(qtbot, studio, "tiny-vae")
    dropped = wiring.points.dropped
    began = time.perf_counter()
    path = [(-1 + i / 10, 0.3) for i in range(20)]
    for u, v in path:
        wiring.drag(u, v)  # as mouse moves arrive faster than decodes
    assert time.perf_counter() - began < 0.2  # asking never waits for torch
    assert wiring.points.dropped - dropped == len(path) - 1  # only the newest point waited
    qtbot.waitUntil(lambda: wiring.points.idle, timeout=10_000)
    last = decode_latents(decoder("tiny-vae"), point(wiring.view.plane, *path[-1])[None])[0]
    assert np.array_equal(shown_sample(wiring), last[..., 0])
    assert wiring.view.sample.latencies  # the frame was painted, and how long after the move is kept


def test_the_mouse_moves_the_point_within_the_map(qtbot, studio):
    wiring = show_map(qtbot, studio, "tiny-vae")
    canvas = wiring.view.canvas
    with qtbot.waitSignal(canvas.released) as released:
        corner = canvas.to_widget(1.0, 1.0).toPoint()
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=corner + QPoint(30, -30))  # beyond: clamped
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=corner + QPoint(30, -30))
    assert released.args == [1.0, 1.0] and canvas.point == (1.0, 1.0)
    with qtbot.waitSignal(canvas.dragged) as dragged:
        qtbot.keyClick(canvas, Qt.Key.Key_Left)
    assert dragged.args == pytest.approx([0.95, 1.0])


def test_the_gan_has_a_plane_per_class_and_a_changed_plane_drops_old_results(qtbot, studio):
    from engine.latent_map.make import decode_latents

    wiring = show_map(qtbot, studio, "tiny-gan")
    view = wiring.view
    assert view.label.isVisible() and view.label.count() == 10
    view.label.setCurrentIndex(view.label.findData("7"))
    view.kind.setCurrentIndex(view.kind.findData("principal"))
    assert not view.seed.isEnabled()  # a principal plane has no seed to pick
    wiring.drag(0.2, 0.2)  # asked of the old plane, answered after the new one is asked for
    qtbot.waitUntil(lambda: view.plane is not None and view.plane.label == "7" and view.plane.kind == "principal"
                    and wiring.points.idle, timeout=20_000)
    assert "class 7" in view.note.text()
    expected = decode_latents(decoder("tiny-gan"), point(view.plane, *view.canvas.point)[None], "7")[0]
    assert np.array_equal(shown_sample(wiring), expected[..., 0])
    sevens = view.canvas.grid.copy()
    view.label.setCurrentIndex(view.label.findData("2"))
    qtbot.waitUntil(lambda: view.plane is not None and view.plane.label == "2" and wiring.points.idle, timeout=20_000)
    assert view.canvas.grid != sevens


def test_a_marker_shows_where_a_latent_lies_and_goes_with_the_plane(qtbot, studio):
    wiring = show_map(qtbot, studio, "tiny-vae")
    view = wiring.view
    z = point(view.plane, -0.6, 0.4)
    assert view.show_latent(z, "your drawing") == pytest.approx((-0.6, 0.4))
    assert view.canvas.marker[2] == "your drawing"
    with qtbot.waitSignal(view.planeChanged):
        view.seed.setValue(view.seed.value() + 1)
    assert view.canvas.marker is None  # the old plane's coordinates mean nothing on the new one
    qtbot.waitUntil(lambda: view.plane is not None, timeout=20_000)


def test_the_seed_plane_previews_while_dragging_and_runs_the_full_recipe_on_release(qtbot, studio):
    vm = studio.view_model
    vm.form.set_field("model", "tiny-diffusion")
    vm.form.set_field("sampler", "dpmpp_2m")
    vm.form.set_field("steps", 8)
    vm.form.set_field("label", "4")
    wiring = show_map(qtbot, studio, "tiny-diffusion")
    view = wiring.view
    qtbot.waitUntil(lambda: wiring.grid_task.done(), timeout=30_000)  # all 25 few-step cells
    assert view.plane is None and view.canvas.cells == 5 and view.canvas.corner_texts[0] == f"seed {view.seed.value()}"
    assert "6-step" in view.point_text.text()
    first = view.seed.value()
    with qtbot.waitSignal(studio.history.recorded, timeout=30_000):
        wiring.release(1.0, 1.0)
    recipe = vm.view.trajectory.recipe
    assert recipe.seed == first and recipe.seed_plane == SeedPlane((first + 1, first + 2, first + 3), 1.0, 1.0)
    assert recipe.steps == 8 and recipe.label == "4" and len(vm.view.trajectory) == 8  # every step, in the viewer
    # the corner's run is the corner seed's own (a non-ancestral sampler), and the recipe makes it again
    plain = Recipe(model="tiny-diffusion", sampler="dpmpp_2m", steps=8, label="4", seed=first + 3, device="cpu")
    assert np.array_equal(vm.view.trajectory.final, finished_images(plain))
    assert np.array_equal(vm.view.trajectory.final, finished_images(recipe.replace(device="cpu")))


def test_the_grid_is_the_planes_decodes(qtbot, studio):
    from engine.latent_map.make import decode_latents

    wiring = show_map(qtbot, studio, "tiny-vae")
    plane, grid = wiring.view.plane, wiring.view.canvas.grid
    cells = decode_latents(decoder("tiny-vae"), grid_latents(plane, 9))
    side = cells.shape[1]
    bits = np.frombuffer(grid.constBits(), np.uint8).reshape(grid.height(), grid.bytesPerLine())[:, :grid.width()]
    assert np.array_equal(bits[:side, side:2 * side], cells[1, ..., 0])  # row 0, column 1
    assert np.array_equal(bits[-side:, -side:], cells[-1, ..., 0])  # the bottom right
