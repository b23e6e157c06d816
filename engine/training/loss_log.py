"""The training loss as a curve: the mean of each window of steps, appended to a CSV beside the checkpoints.

One row per `every` steps ("step,elapsed_s,loss[,other losses]"), appended as training goes so a
killed run keeps its curve; a resumed run may write a step again, and the reader keeps the last row
for each step (and skips a line cut short by a kill). The model card draws its loss curve from it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

EVERY = 100


class LossLog:
    """Losses may be numbers or 0-d tensors on the training device: a tensor is summed where it is and
    read once per window, so the GPU is not made to wait for the host at every step."""

    def __init__(self, path: Path, every: int = EVERY):
        self.path, self.every = Path(path), every
        self.sums: dict[str, Any] = {}
        self.count = 0

    def add(self, step: int, losses: dict[str, Any], elapsed_s: float) -> dict[str, float] | None:
        """Adds one step's losses; at every `every`-th step, appends their window's means and returns them."""
        for key, value in losses.items():
            self.sums[key] = self.sums.get(key, 0.0) + (value.detach() if hasattr(value, "detach") else value)
        self.count += 1
        if step % self.every:
            return None
        names = sorted(self.sums)
        means = {key: float(self.sums[key]) / self.count for key in names}
        self.sums, self.count = {}, 0  # first: a write that fails (a full disk) must not merge two windows
        new = not self.path.exists()
        with self.path.open("a", encoding="utf-8", newline="") as file:
            if new:
                file.write(",".join(["step", "elapsed_s", *names]) + "\n")
            file.write(",".join([str(step), f"{elapsed_s:.1f}", *(f"{means[k]:.5f}" for k in names)]) + "\n")
        return means


def read_loss_log(path: Path) -> list[dict[str, float]]:
    """The rows, in step order, one per step (the last written wins); [] for a missing file."""
    if not Path(path).is_file():
        return []
    rows: dict[int, dict[str, float]] = {}
    with Path(path).open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            try:
                values = {key: float(value) for key, value in row.items()}
                rows[int(values["step"])] = values
            except (KeyError, TypeError, ValueError):
                continue  # a line cut short (a missing value is None) or with a stray field
    return [rows[step] for step in sorted(rows)]


def loss_curve(path: Path, points: int = 40) -> list[list[float]]:
    """[step, mean loss] pairs for the model's config: at most `points`, evenly spread, the last always kept."""
    rows = [row for row in read_loss_log(path) if "loss" in row]
    if len(rows) > points:
        stride = len(rows) / points
        rows = [rows[int(index * stride)] for index in range(points - 1)] + [rows[-1]]
    return [[int(row["step"]), round(row["loss"], 5)] for row in rows]
