"""A group of runs in the history: one row for the group, its cells the runs that point at it.

Three kinds share the sweeps table (schema 5): a sweep, the families side by side, and an
interpolation. A sweep's row keeps its axes as the grid PNG writes them (`{"x": {"field":
"steps", "values": ["5", "10"]}, ...}`), so a cell is named (`steps=10, sampler=DDIM`) from its
index alone, in the order engine/sweep/plan.py runs cells: Z outermost, then Y, X innermost.
The other kinds keep each cell's name in a list (`{"cells": ["tiny-diffusion", "tiny-vae"]}`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

AXES = ("x", "y", "z")
SWEEP, FAMILIES, INTERPOLATION = "sweep", "families", "interpolation"
# kind -> (its name in a title, what its cells are called)
KINDS = {SWEEP: ("Sweep", "cells"), FAMILIES: ("Families", "runs"), INTERPOLATION: ("Interpolation", "frames")}


@dataclass(frozen=True)
class SweepRecord:
    id: int
    created_at: float
    description: str  # `X: Steps 5, 10; Y: Sampler DDIM, Euler`
    axes_json: str
    cells: int  # as planned; a cancelled sweep has fewer runs
    grid_path: str | None  # the labelled grid PNG (an interpolation: its contact sheet), once written
    runs: int = 0  # cells recorded, filled by list_sweeps and get_sweep
    kind: str = SWEEP  # SWEEP, FAMILIES or INTERPOLATION; another name (a newer Noisescope's) reads as a group

    def axes(self) -> dict[str, Any]:
        try:
            axes = json.loads(self.axes_json)
        except ValueError:
            return {}
        return axes if isinstance(axes, dict) else {}

    @property
    def noun(self) -> str:
        """What the gallery's caption calls the group: `sweep`, `families`, `interpolation`."""
        return self.kind if self.kind in KINDS else "group"

    def cell_label(self, index: int | None) -> str:
        """`steps=10, sampler=DDIM` (a sweep's cell), `tiny-vae` (a family's run), `seed 5 → 6, t=0.5`
        (an interpolation's frame) for the cell at this index; `cell N` when the row cannot say."""
        if index is None:
            return ""
        if self.kind != SWEEP:
            labels = self.axes().get("cells")
            if isinstance(labels, list) and 0 <= index < len(labels) and isinstance(labels[index], str):
                return labels[index]
            return f"{'frame' if self.kind == INTERPOLATION else 'cell'} {index + 1}"
        axes = self.axes()
        parts, rest = [], index
        for name in AXES:
            axis = axes.get(name)
            if not isinstance(axis, dict) or not isinstance(axis.get("values"), list) or not axis["values"]:
                break
            values = axis["values"]
            parts.append(f"{axis.get('field', name)}={values[rest % len(values)]}")
            rest //= len(values)
        return ", ".join(parts) if parts and rest == 0 else f"cell {index + 1}"

    def title(self) -> str:
        """What the gallery's group filter lists: `Sweep #3 · 6 cells · X: Steps 2, 3; Y: Seed 1, 2`,
        `Interpolation #4 · 5 of 7 frames · interpolation of seeds 5 → 6 ...`."""
        name, unit = KINDS.get(self.kind, ("Group", "runs"))
        count = f"{self.runs} of {self.cells}" if self.runs != self.cells else f"{self.cells}"
        return f"{name} #{self.id} · {count} {unit} · {self.description}"
