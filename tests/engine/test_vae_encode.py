"""Encoding a drawing with the digits VAE (its z and reconstruction), the MNIST-like drawing, and the
message a model without an encoder gives."""

from __future__ import annotations

import numpy as np
import pytest

from engine.digit_drawing import BOX, DIGIT_SIZE, mnist_like, png_bytes, read_picture
from engine.errors import InvalidRecipe
from engine.vae_encode import encode_image


def drawn_one(size=280, thickness=24, light_paper=False) -> np.ndarray:
    """A stroke as a mouse draws it on a large canvas, off-centre."""
    canvas = np.zeros((size, size), np.uint8)
    canvas[40:200, 60:60 + thickness] = 255
    return 255 - canvas if light_paper else canvas


def test_a_drawing_is_boxed_to_20_pixels_and_centred_by_mass_like_mnist():
    digit = mnist_like(drawn_one())
    assert digit.shape == (DIGIT_SIZE, DIGIT_SIZE) and digit.dtype == np.uint8
    rows, cols = np.nonzero(digit > 32)
    assert rows.max() - rows.min() + 1 <= BOX and rows.max() - rows.min() + 1 >= BOX - 2
    mass = digit.astype(float)
    centre = ((mass.sum(1) * np.arange(28)).sum() / mass.sum(), (mass.sum(0) * np.arange(28)).sum() / mass.sum())
    assert abs(centre[0] - 13.5) < 1 and abs(centre[1] - 13.5) < 1
    assert np.array_equal(mnist_like(drawn_one(light_paper=True)), digit)  # ink on paper: inverted
    assert not mnist_like(np.zeros((50, 50), np.uint8)).any()


def test_a_dropped_picture_is_read_and_a_non_picture_says_so():
    pixels = read_picture(png_bytes(drawn_one(64)), "one.png")
    assert pixels.shape == (64, 64) and pixels.max() == 255
    with pytest.raises(InvalidRecipe, match="notes.txt is not a picture"):
        read_picture(b"hello", "notes.txt")


def test_the_vae_encodes_a_drawing_and_its_reconstruction_resembles_it():
    digit = mnist_like(drawn_one())
    encoded = encode_image("digits-vae", digit, device="cpu")
    assert encoded.z.shape == (16,) and encoded.z.dtype == np.float32
    assert encoded.image.shape == encoded.reconstruction.shape == (32, 32, 1)
    assert np.array_equal(encoded.image[2:30, 2:30, 0], digit)  # padded as in training, not resized
    again = encode_image("digits-vae", digit, device="cpu")
    assert np.array_equal(again.z, encoded.z)  # the mean: the same drawing, the same point
    a, b = encoded.image.astype(float).ravel(), encoded.reconstruction.astype(float).ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.6
    diagonal = (np.eye(40) * 255).astype(np.uint8)  # a slash, not a bar
    other = encode_image("digits-vae", mnist_like(diagonal), device="cpu")
    assert np.linalg.norm(other.z - encoded.z) > 0.5  # another drawing, another point


@pytest.mark.parametrize("model, message", [("digits-gan", "is a GAN: it has no encoder"),
                                            ("digits-diffusion", "use the drawing as its init image")])
def test_a_model_without_an_encoder_says_what_to_do_instead(model, message):
    with pytest.raises(InvalidRecipe, match=message):
        encode_image(model, mnist_like(drawn_one()), device="cpu")


def test_an_encode_after_a_run_reuses_the_model_the_run_loaded(monkeypatch):
    """run() with no cache of its own and encode_image share engine.model_cache.shared_model_cache()."""
    import engine.model_cache
    from engine.events import Finished
    from engine.model_cache import shared_model_cache
    from engine.recipe import Recipe
    from engine.run import run

    events = list(run(Recipe(model="digits-vae", device="cpu"), previews=False))
    assert isinstance(events[-1], Finished)

    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded again")

    monkeypatch.setattr(engine.model_cache, "load_model", no_loading)
    encoded = encode_image("digits-vae", mnist_like(drawn_one()), device="cpu")
    assert encoded.z.shape == (16,)
    assert shared_model_cache() is shared_model_cache()
    shared_model_cache().clear()  # the next load is a load: no_loading says so
    with pytest.raises(AssertionError, match="loaded again"):
        encode_image("digits-vae", mnist_like(drawn_one()), device="cpu")
