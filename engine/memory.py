"""A recipe's memory, estimated before anything is allocated, and the preview budget (torch-free).

A run holds the model, the working tensors of one step, and the previews of every step it keeps
(uint8: steps x batch x H x W x C x 3 views). The first two must fit in free memory or the run is
refused with a message; the previews are kept within a budget instead (every k-th step past it, see
Trajectory), because a long or large run is worth watching even when not every step fits.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.models.info import ModelInfo
    from engine.recipe import Recipe

GB = 1024**3
DEFAULT_PREVIEW_BUDGET = 2 * GB  # previews kept per run before every k-th step is kept instead
VIEWS = 3  # x_t, predicted x0, predicted noise
GUIDED_VIEWS = 6  # and, for a guided run, the conditional and unconditional noise and guidance x their difference
BYTES_PER_PARAMETER = 4  # float32 on the CPU; a GPU's float16 halves it, which the estimate ignores
# Working memory of one step per image value, a rough upper bound measured on the bundled UNet
# (feature maps of several widths at full resolution, kept for the skip connections).
ACTIVATION_BYTES_PER_VALUE = 256


@dataclass(frozen=True)
class MemoryEstimate:
    model_bytes: int
    activation_bytes: int
    preview_bytes: int  # every step's previews, before any budget

    @property
    def run_bytes(self) -> int:
        """What must fit for the run to start: the model and one step's work (previews can be thinned)."""
        return self.model_bytes + self.activation_bytes

    def describe(self) -> str:
        return (f"model {format_bytes(self.model_bytes)}, working memory {format_bytes(self.activation_bytes)}, "
                f"previews {format_bytes(self.preview_bytes)}")


def estimate(recipe: Recipe, info: ModelInfo, guide: ModelInfo | None = None) -> MemoryEstimate:
    """Rough, and on the generous side for the working memory; exact for the previews. `guide`: the
    recipe's guide model (autoguidance), whose weights are held too and whose pass doubles the work."""
    width, height = recipe.width or info.width, recipe.height or info.height
    image_values = recipe.batch * height * width * info.channels
    steps = recipe.steps if info.family == "diffusion" else 1
    passes, parameters = (1, info.parameters or 0) if guide is None else (
        2, (info.parameters or 0) + (guide.parameters or 0))
    return MemoryEstimate(
        model_bytes=parameters * BYTES_PER_PARAMETER,
        activation_bytes=passes * image_values * ACTIVATION_BYTES_PER_VALUE,
        preview_bytes=steps * image_values * (GUIDED_VIEWS if is_guided(recipe, info) else VIEWS),
    )


def is_guided(recipe: Recipe, info: ModelInfo) -> bool:
    """Whether a resolved recipe runs guidance (two predictions a step), as the loops decide: text models
    above 1 (diffusers' rule), class-conditional ones at any scale but 1 (classifier-free or autoguidance)."""
    guidance = recipe.guidance
    if guidance is None or info.family != "diffusion":
        return False
    return guidance > 1.0 if getattr(info, "takes_text", False) else guidance != 1.0


def available_bytes() -> int | None:
    """Memory this process can still take on the CPU: MemAvailable (Linux), else None (unknown)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def too_large(recipe: Recipe, info: ModelInfo, free: int | None, guide: ModelInfo | None = None) -> str | None:
    """The message refusing a recipe whose model (and guide) and working memory do not fit in `free` bytes."""
    needed = estimate(recipe, info, guide)
    if free is None or needed.run_bytes <= free:
        return None
    return (f"this recipe needs about {format_bytes(needed.run_bytes)} ({needed.describe()}) but only {format_bytes(free)} is free: "
            f"lower the batch size (now {recipe.batch}) or the image size, or close other programs")


def step_bytes(batch: int, height: int, width: int, channels: int, views: int = VIEWS) -> int:
    return batch * height * width * channels * views


def format_bytes(count: int) -> str:
    return f"{count / GB:.2f} GB" if count >= GB / 10 else f"{count / 1024**2:.1f} MB"


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` says memory ran out: CUDA raises torch.OutOfMemoryError, the CPU allocator a plain
    RuntimeError. Torch-free: if torch was never imported, nothing it raised can be here."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and ("can't allocate memory" in str(exc) or "not enough memory" in str(exc))
