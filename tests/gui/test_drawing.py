"""The Drawing dock: draw a digit (mouse or a dropped picture), encode it with the VAE (reconstruction
shown; a model without an encoder says so), use it as the init image (Generate then runs image-to-image,
step by step); and the form's init image picker and denoising strength."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from gui.form_controls import InitImageControl
from tests.gui.helpers import generate


def draw_a_one(canvas) -> None:
    canvas.stroke([(140.0, 50.0), (140.0, 230.0)])


def test_the_mouse_draws_white_strokes_and_clear_empties_the_canvas(qtbot, studio):
    wiring = studio.drawing
    canvas = wiring.panel.canvas
    wiring.show()
    canvas.resize(200, 200)
    assert canvas.is_blank()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 40))
    qtbot.mouseMove(canvas, QPoint(100, 160))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 160))
    pixels = canvas.pixels()
    assert pixels.max() == 255 and 0.02 < (pixels > 128).mean() < 0.2  # a stroke, not a flood
    digit = wiring.digit()
    assert digit.shape == (28, 28) and digit.max() > 200
    assert not wiring.panel.seen_picture.pixmap().isNull()  # what the model sees, shown as you draw
    wiring.panel.clear.click()
    assert canvas.is_blank() and wiring.panel.seen_picture.pixmap().isNull()


def test_a_dropped_picture_replaces_the_drawing_and_a_non_picture_says_so(qtbot, studio, tmp_path):
    canvas = studio.drawing.panel.canvas
    paper = np.full((60, 40), 255, np.uint8)
    paper[10:50, 18:22] = 0  # dark ink on white paper
    Image.fromarray(paper).save(tmp_path / "ink.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "ink.png"))])
    canvas.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))
    pixels = canvas.pixels()
    assert pixels.mean() < 40 and pixels.max() > 200  # shown white on black, as MNIST
    (tmp_path / "notes.png").write_text("no picture here")
    canvas.load_file(tmp_path / "notes.png")
    assert "notes.png is not a picture" in studio.drawing.panel.message.text()


def test_encode_with_the_vae_shows_the_reconstruction(qtbot, studio):
    wiring, form = studio.drawing, studio.view_model.form
    form.set_field("model", "tiny-vae")
    draw_a_one(wiring.panel.canvas)
    wiring.panel.encode.click()
    qtbot.waitUntil(lambda: wiring.last_encoded is not None, timeout=15_000)
    assert wiring.last_encoded.z.shape == (4,) and wiring.last_encoded.reconstruction.shape == (8, 8, 1)
    assert not wiring.panel.reconstruction_picture.pixmap().isNull()
    assert "tiny-vae encoded the drawing to a 4-d z" in wiring.panel.message.text()
    assert wiring.panel.encode.isEnabled()


def test_a_model_without_an_encoder_says_so(qtbot, studio):
    wiring, form = studio.drawing, studio.view_model.form
    wiring.panel.encode.click()
    assert "Draw a digit first" in wiring.panel.message.text()
    form.set_field("model", "tiny-gan")
    draw_a_one(wiring.panel.canvas)
    wiring.panel.encode.click()
    qtbot.waitUntil(lambda: "has no encoder" in wiring.panel.message.text(), timeout=15_000)
    assert "is a GAN" in wiring.panel.message.text() and wiring.last_encoded is None


def test_use_as_init_image_then_generate_runs_image_to_image_step_by_step(qtbot, studio):
    wiring, form = studio.drawing, studio.view_model.form
    form.restore_fields({"model": "tiny-vae", "steps": 6, "sampler": "ddim", "batch": 1})
    draw_a_one(wiring.panel.canvas)
    wiring.panel.strength.setValue(0.5)
    wiring.panel.use.click()
    qtbot.waitUntil(lambda: form.fields.init_image is not None, timeout=10_000)
    assert form.fields.model == "tiny-diffusion" and form.fields.strength == 0.5  # a VAE has no steps to join
    assert "3 of 6 steps" in wiring.panel.message.text()
    controls = studio.window.controls
    assert controls.controls["strength"].widget.isVisibleTo(controls)
    trajectory = generate(qtbot, studio)
    assert trajectory.outcome == "finished", studio.view_model.status.error
    assert trajectory.total_steps == 3 and [s.index for s in trajectory.steps] == [0, 1, 2]
    assert trajectory.recipe.init_image is not None and trajectory.recipe.strength == 0.5
    assert any("resized to 8x8" in notice for notice in trajectory.notices)
    assert "resized to 8x8" in studio.window.notices.text()


def test_the_form_picks_an_init_image_and_shows_strength_only_with_one(qtbot, studio, tmp_path):
    form, controls = studio.view_model.form, studio.window.controls
    form.set_field("model", "tiny-diffusion")
    picker = controls.controls["init_image"]
    assert isinstance(picker, InitImageControl)
    assert not controls.controls["strength"].widget.isVisibleTo(controls)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "start.png")
    picker.pick(str(tmp_path / "start.png"))
    assert form.fields.init_image["path"].endswith("start.png") and picker.name_label.text() == "start.png"
    assert controls.controls["strength"].widget.isVisibleTo(controls)
    recipe = form.build_recipe()
    assert recipe.init_image.name == "start.png" and recipe.strength == 0.75
    picker.clear.click()
    assert form.fields.init_image is None and form.build_recipe().init_image is None
    picker.pick(str(tmp_path / "missing.png"))
    assert "does not exist" in studio.view_model.status.error[1]


def test_an_encoded_drawing_is_marked_on_the_latent_map_and_stays_on_a_new_plane(qtbot, studio):
    wiring, form = studio.drawing, studio.view_model.form
    latent_map = studio.latent_map
    form.set_field("model", "tiny-vae")
    latent_map.dock.show()
    qtbot.waitUntil(lambda: latent_map.view.plane is not None, timeout=15_000)
    draw_a_one(wiring.panel.canvas)
    wiring.panel.encode.click()
    qtbot.waitUntil(lambda: wiring.last_encoded is not None, timeout=15_000)
    marker = latent_map.view.canvas.marker
    assert marker is not None and marker[2] == "your drawing"
    assert f"On the latent map it sits at ({marker[0]:+.2f}, {marker[1]:+.2f})" in wiring.panel.message.text()
    first_plane = latent_map.view.plane
    latent_map.view.set_plane(first_plane)  # a new plane clears the marker; the drawing is put back on it
    assert latent_map.view.canvas.marker is not None and latent_map.view.canvas.marker[2] == "your drawing"


def test_a_drawing_reaches_each_model_as_its_training_images_looked():
    from dataclasses import replace

    from engine.models import find_model
    from gui.drawing_wiring import drawing_for

    assets = Path(__file__).resolve().parents[2] / "assets" / "models"  # the GUI tests list tiny models only
    strokes = np.zeros((280, 280), np.uint8)
    strokes[60:220, 130:150] = 255  # white strokes on black: the canvas, as MNIST draws
    digit = np.zeros((28, 28), np.uint8)
    emoji = find_model(str(assets / "twemoji-diffusion"))
    assert emoji.background == "white" and find_model(str(assets / "digits-diffusion")).background is None
    on_white = drawing_for(emoji, lambda: digit, lambda: strokes)
    assert on_white[0, 0] == 255 and on_white[100, 140] == 0  # dark strokes on white, as the emoji were
    assert drawing_for(find_model(str(assets / "digits-diffusion")), lambda: digit, lambda: strokes) is digit  # MNIST-like
    unknown = replace(emoji, background=None)  # a colour model that does not say: the drawing as drawn
    assert drawing_for(unknown, lambda: digit, lambda: strokes) is strokes
