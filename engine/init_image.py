"""Image-to-image: the init image a run starts from, and how far into the schedule it starts.

AUTOMATIC1111's img2img, as diffusers' StableDiffusionImg2ImgPipeline runs it: with `steps` N and
denoising `strength` s, the scheduler lays out its N steps as for a plain run, and the run starts
at step N - int(N * s): the init image (VAE-encoded latents for a latent model) is noised to that
step's noise level and denoised for the int(N * s) steps left. Strength 1 starts from (almost)
pure noise; a low strength keeps most of the picture.

A recipe carries the init image as its file's path and the SHA-256 of its bytes, so the recipe
stays small, and the image it names is exactly the one it was made with. The bytes themselves are
kept beside the history (engine/init_image_files.py) the first time a run reads them, so a recipe
restored later finds its image by hash even when the original file moved; when neither is there,
the run says which image is missing. Torch-free and Pillow-free: anything may import it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import InvalidRecipe

DEFAULT_STRENGTH = 0.75  # A1111's default denoising strength
MAX_INIT_IMAGE_BYTES = 64 * 1024 * 1024  # a picture, not a video: larger files are refused before reading
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class InitImage:
    path: str  # where the file was when the recipe was made (shown; tried after the kept copy)
    sha256: str  # of the file's bytes: the identity of the image

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path.strip():
            raise InvalidRecipe(f"an init image needs the path of its file, not {self.path!r}")
        if not isinstance(self.sha256, str) or not _SHA256.fullmatch(self.sha256):
            raise InvalidRecipe(f"an init image's sha256 must be 64 lowercase hex digits, not {self.sha256!r}")

    @classmethod
    def from_file(cls, path: str | Path) -> InitImage:
        """The init image for a file a person named; InvalidRecipe saying why it cannot be read."""
        file = Path(path).expanduser()
        try:
            size = file.stat().st_size
            if not file.is_file():
                raise InvalidRecipe(f"init image {str(path)!r} is not a file: name an image file (PNG, JPEG, WebP)")
            if size > MAX_INIT_IMAGE_BYTES:
                raise InvalidRecipe(f"init image {str(path)!r} is {size:,} bytes; at most "
                                    f"{MAX_INIT_IMAGE_BYTES:,} are read")
            data = file.read_bytes()
        except FileNotFoundError:
            raise InvalidRecipe(f"init image {str(path)!r} does not exist: check the path") from None
        except OSError as exc:
            raise InvalidRecipe(f"init image {str(path)!r} cannot be read: {exc.strerror or exc}") from None
        return cls(str(file.resolve()), sha256_of(data))

    @classmethod
    def from_value(cls, value: Any) -> InitImage:
        """An InitImage, or its dict from JSON; InvalidRecipe if it is neither."""
        if isinstance(value, InitImage):
            return value
        if isinstance(value, dict) and set(value) == {"path", "sha256"}:
            return cls(value["path"], value["sha256"])
        raise InvalidRecipe(f"an init image is a {{path, sha256}} object, not {value!r}")

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "sha256": self.sha256}

    @property
    def name(self) -> str:
        return Path(self.path).name

    def describe(self) -> str:
        return f"{self.name} (sha256 {self.sha256[:12]}…)"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def start_step(steps: int, strength: float) -> int:
    """The index of the first of `steps` scheduler steps an img2img run takes (diffusers' t_start)."""
    return max(steps - min(int(steps * strength), steps), 0)


def check_strength(steps: int, strength: float) -> None:
    """InvalidRecipe when strength and steps leave no step to run (int(steps * strength) is 0)."""
    if start_step(steps, strength) >= steps:
        need = next((n for n in range(steps, 1001) if int(n * strength) >= 1), None) if strength > 0 else None
        more = f", or at least {need} steps" if need else ""
        raise InvalidRecipe(f"denoising strength {strength:g} with {steps} steps runs no step (int({steps} x "
                            f"{strength:g}) = 0): raise the strength to at least {1 / steps:.2g}{more}")
