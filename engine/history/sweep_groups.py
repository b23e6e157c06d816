"""A sweep in the history: one row for the group, its cells the runs that point at it.

The row keeps the sweep's axes as the grid PNG writes them (`{"x": {"field": "steps", "values":
["5", "10"]}, ...}`), so a cell is named (`steps=10, sampler=DDIM`) from its index alone, in the
order engine/sweep/plan.py runs cells: Z outermost, then Y, X innermost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

AXES = ("x", "y", "z")


@dataclass(frozen=True)
class SweepRecord:
    id: int
    created_at: float
    description: str  # `X: Steps 5, 10; Y: Sampler DDIM, Euler`
    axes_json: str
    cells: int  # as planned; a cancelled sweep has fewer runs
    grid_path: str | None  # the labelled grid PNG, once written
    runs: int = 0  # cells recorded, filled by list_sweeps and get_sweep

    def axes(self) -> dict[str, Any]:
        try:
            axes = json.loads(self.axes_json)
        except ValueError:
            return {}
        return axes if isinstance(axes, dict) else {}

    def cell_label(self, index: int | None) -> str:
        """`steps=10, sampler=DDIM` for the cell at this index; `cell N` when the axes cannot say."""
        if index is None:
            return ""
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
        """What the gallery's sweep filter lists: `Sweep #3 · 6 cells · X: Steps 2, 3; Y: Seed 1, 2`."""
        count = f"{self.runs} of {self.cells}" if self.runs != self.cells else f"{self.cells}"
        return f"Sweep #{self.id} · {count} cells · {self.description}"
