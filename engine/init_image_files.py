"""The init image's bytes: kept beside the history by hash, found again for a recipe, read as pixels.

A recipe names its init image by path and SHA-256 (engine/init_image.py). The first time a run
(or the window's drawing) reads an image, its bytes are kept as `init_images/<sha256><suffix>` in
the user's data folder, so a recipe restored later (from the history or an exported PNG, whose
file may have moved) still finds the very same image. A recipe whose image is neither kept nor at
its path, or whose file changed since, gets a message saying which image and what to do.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from engine.atomic import write_atomically
from engine.errors import InvalidRecipe, NoisescopeError
from engine.init_image import MAX_INIT_IMAGE_BYTES, InitImage, sha256_of
from engine.paths import user_data_dir

MNIST_PAD = 4  # a 28x28 digit on a 32x32 model is padded with black, as the digits models were trained


def kept_dir() -> Path:
    return user_data_dir() / "init_images"


def kept_path(init: InitImage) -> Path | None:
    """The kept copy of this image, if there is one."""
    return next((p for p in sorted(kept_dir().glob(f"{init.sha256}.*")) if p.is_file()), None)


def keep_bytes(data: bytes, name: str = "drawing.png") -> InitImage:
    """Keep these bytes (a drawing, a dropped file) and return the init image that names them."""
    init = InitImage(str(kept_dir() / f"{sha256_of(data)}{Path(name).suffix.lower() or '.png'}"), sha256_of(data))
    if kept_path(init) is None:
        target = Path(init.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, lambda temporary: _write(temporary, data))
    return init


def _write(path: Path, data: bytes) -> None:
    Path(path).write_bytes(data)


def init_image_bytes(init: InitImage) -> bytes:
    """The image's bytes: the kept copy, else its file (checked against the hash, then kept)."""
    kept = kept_path(init)
    if kept is not None:
        data = kept.read_bytes()
        if sha256_of(data) == init.sha256:
            return data
    file = Path(init.path)
    try:
        if file.stat().st_size > MAX_INIT_IMAGE_BYTES:
            raise InvalidRecipe(f"init image {init.path!r} is larger than {MAX_INIT_IMAGE_BYTES:,} bytes")
        data = file.read_bytes()
    except FileNotFoundError:
        raise InvalidRecipe(f"init image {init.describe()} is missing: it is not at {init.path} and no copy is "
                            f"kept in {kept_dir()}; put the file back, or pick another init image") from None
    except OSError as exc:
        raise InvalidRecipe(f"init image {init.path!r} cannot be read: {exc.strerror or exc}") from None
    if sha256_of(data) != init.sha256:
        raise InvalidRecipe(f"init image {init.path} has changed since the recipe was made (its sha256 is no "
                            f"longer {init.sha256[:12]}…): put the original back, or pick the image again")
    with contextlib.suppress(OSError, NoisescopeError):  # not kept (a full data folder): this run still has it
        keep_bytes(data, init.name)
    return data


def load_init_pixels(init: InitImage, height: int, width: int, channels: int) -> tuple[np.ndarray, str | None]:
    """(height, width, channels) uint8 pixels of the init image, and a notice when it was resized."""
    data = init_image_bytes(init)
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            picture = opened.convert("L" if channels == 1 else "RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidRecipe(f"init image {init.name} is not an image that can be read (PNG, JPEG, WebP ...): "
                            f"{exc}") from None
    pixels, notice = np.asarray(picture), None
    if channels == 1 and pixels.shape == (height - MNIST_PAD, width - MNIST_PAD):
        pad = MNIST_PAD // 2
        pixels = np.pad(pixels, pad)  # a 28x28 digit on the 32x32 digits models: black border, as in training
    elif pixels.shape[:2] != (height, width):
        notice = (f"init image {init.name} is {picture.width}x{picture.height}; it was resized to {width}x{height}, "
                  "the run's size")
        pixels = np.asarray(picture.resize((width, height), Image.Resampling.LANCZOS))
    return pixels.reshape(height, width, channels), notice
