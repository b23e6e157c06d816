"""Images use the space of their pane: the batch grid's columns and the integer zoom are chosen
together so a batch shows as large as the pane allows (issue 12, the window)."""

from __future__ import annotations

import numpy as np

from engine.events import Step
from engine.kinds import Family
from engine.recipe import Recipe
from engine.samplers.registry import NO_SAMPLER
from engine.trajectory import Trajectory
from gui.image_viewer import ViewerPanel
from gui.qimage import best_columns
from gui.trajectory_view import Playhead, TrajectoryView


def gan_run(batch: int, side: int = 32) -> Trajectory:
    recipe = Recipe(model="fake-gan", sampler=NO_SAMPLER, steps=1, batch=batch, family=Family.GAN)
    images = np.full((batch, side, side, 1), 200, np.uint8)
    return Trajectory(recipe=recipe, total_steps=1, steps=[Step(0, 1, 0.0, 0.0, images, images, None, 0.1)],
                      outcome="finished")


def test_best_columns_follow_the_room():
    assert best_columns(4, 32, 32, (212, 572)) == 1  # tall pane: one column at 4x (2x2 gives 3x)
    assert best_columns(4, 32, 32, (572, 140)) == 4  # wide pane: one row
    assert best_columns(4, 32, 32, (300, 300)) == 2  # square: the near-square grid
    assert best_columns(1, 32, 32, (10, 10)) == 1


def test_a_batch_of_four_fills_a_tall_pane(qtbot):
    playhead = Playhead()
    view = TrajectoryView(playhead)
    panel = ViewerPanel(view)
    qtbot.addWidget(panel)
    panel.resize(236, 640)
    panel.show()
    view.set_trajectory(gan_run(4))
    playhead.reset(0, following=False)
    canvas = panel.canvases["x0"]
    qtbot.waitUntil(lambda: canvas.image is not None and canvas.width() > 200)  # one pane: the layout gave it the row
    width, height = canvas.width(), canvas.height()
    zoom = canvas.zoom_factor()
    assert zoom == int(zoom)  # crisp pixels
    shown = canvas.image_rect()
    assert shown.width() <= width and shown.height() <= height  # it fits
    # the largest integer zoom of any grid shape fits no further: the pane is used
    for cols in (1, 2, 4):
        rows = -(-4 // cols)
        grid_w, grid_h = cols * 32 + (cols - 1) * 2, rows * 32 + (rows - 1) * 2
        assert int(min((width - 8) / grid_w, (height - 8) / grid_h)) <= zoom
    assert zoom >= 4, (width, height, zoom)
