"""A sweep's cells: the base recipe with each combination of the axes' values, and the runs
that make them.

Cells are numbered as A1111's X/Y/Z plot runs them: Z outermost, then Y, X innermost. Every
cell's recipe is built and checked before anything runs, so a value that does not fit (DDIM
with the Karras schedule, a label the model lacks) is one message naming the cell, not a
failure half-way. Cells that differ only in consecutive seeds are one run of a batch (sample i
of seed s is seed s + i, engine/noise.py), so the model is evaluated once for all of them.
Torch-free: the window plans its sweeps with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.conditioning import ClassLabel, TextPrompt, Unconditional
from engine.errors import InvalidRecipe, NoisescopeError
from engine.recipe import Recipe
from engine.sweep.axes import Axis, check_distinct

DEFAULT_MAX_CELLS = 100  # more than this is asked for (the CLI's --max-cells; the window asks)
DEFAULT_GROUP_BATCH = 8  # at most this many seeds share one run


class TooManyCells(InvalidRecipe):
    """The sweep has more cells than allowed without asking."""

    def __init__(self, cells: int, limit: int):
        super().__init__(f"the sweep makes {cells} cells, more than {limit} allowed without asking")
        self.cells, self.limit = cells, limit


@dataclass(frozen=True)
class Cell:
    index: int  # in running order
    at: tuple[int, int, int]  # (x, y, z) value indexes; 0 on an axis the sweep does not have
    recipe: Recipe


@dataclass(frozen=True)
class Group:
    """One run that makes these cells: cell k is sample k of the run's batch."""

    recipe: Recipe
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class SweepPlan:
    base: Recipe
    axes: tuple[Axis, ...]  # x, then y and z when given
    cells: tuple[Cell, ...]

    @property
    def shape(self) -> tuple[int, int, int]:
        """(columns, rows, sub-grids): the values on x, y and z (1 for an axis not given)."""
        sizes = [len(axis.values) for axis in self.axes] + [1, 1]
        return sizes[0], sizes[1], sizes[2]

    def cell_at(self, x: int, y: int, z: int) -> Cell:
        columns, rows, _ = self.shape
        return self.cells[(z * rows + y) * columns + x]

    def cell_label(self, cell: Cell) -> str:
        """`steps=10, sampler=DDIM`: the cell's values on the axes."""
        return ", ".join(f"{axis.key}={axis.value_text(axis.values[at])}" for axis, at in zip(self.axes, cell.at))

    def groups(self, max_batch: int = DEFAULT_GROUP_BATCH) -> list[Group]:
        """The runs that make the cells, in cell order; consecutive seeds of otherwise equal cells
        share one run (not with a variation, where a batch keeps its seed, nor a batch per cell)."""
        groups: list[list[Cell]] = []
        for cell in self.cells:
            last = groups[-1] if groups else None
            if last is not None and len(last) < max_batch and _extends(last, cell):
                last.append(cell)
            else:
                groups.append([cell])
        return [Group(cells[0].recipe.replace(batch=len(cells)) if len(cells) > 1 else cells[0].recipe,
                      tuple(cells)) for cells in groups]

    def check(self, extra_model_paths: Iterable[Path] = ()) -> None:
        """InvalidRecipe (or ModelNotFound) naming the first cell that does not fit its model."""
        from engine.models.catalog import find_model

        infos: dict[str, Any] = {}
        for cell in self.cells:
            try:
                if cell.recipe.model not in infos:
                    infos[cell.recipe.model] = find_model(cell.recipe.model, extra_model_paths)
                cell.recipe.check_against_model(infos[cell.recipe.model])
            except InvalidRecipe as exc:
                raise InvalidRecipe(f"cell {self.cell_label(cell)}: {exc.message}") from None

    def describe(self) -> str:
        """One line: `X: Steps 5, 10; Y: Sampler DDIM, DPM++ 2M` (the grid PNG's Description)."""
        return "; ".join(f"{axis.name.upper()}: {axis.title} {', '.join(axis.value_text(v) for v in axis.values)}"
                         for axis in self.axes)

    def to_dict(self, recipes: dict[int, Recipe] | None = None) -> dict[str, Any]:
        """The sweep as JSON: its axes, its base recipe and every cell's recipe (grid PNG metadata);
        `recipes` (cell index -> recipe) gives the ones the runs made concrete."""
        recipes = recipes or {}
        return {
            "description": self.describe(),
            "axes": {axis.name: {"field": axis.key, "values": axis.texts()} for axis in self.axes},
            "base": self.base.to_dict(),
            "cells": [{"at": list(cell.at[:len(self.axes)]), "recipe": recipes.get(cell.index, cell.recipe).to_dict()}
                      for cell in self.cells],
        }

    def digest(self) -> str:
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:6]


def make_plan(base: Recipe, axes: list[Axis], max_cells: int | None = DEFAULT_MAX_CELLS) -> SweepPlan:
    """The plan of a sweep over these axes (x first); InvalidRecipe naming what does not fit,
    TooManyCells past max_cells (None: no limit)."""
    if not axes:
        raise InvalidRecipe("a sweep needs at least one axis: --x FIELD=VALUES")
    check_distinct(axes)
    sizes = [len(axis.values) for axis in axes] + [1] * (3 - len(axes))
    count = sizes[0] * sizes[1] * sizes[2]
    if max_cells is not None and count > max_cells:
        raise TooManyCells(count, max_cells)
    cells: list[Cell] = []
    for z in range(sizes[2]):
        for y in range(sizes[1]):
            for x in range(sizes[0]):
                at = (x, y, z)
                changes = {axis.field: _value(axis.values[at[i]], base) for i, axis in enumerate(axes)}
                try:
                    recipe = base.replace(**changes)
                except InvalidRecipe as exc:
                    where = ", ".join(f"{axis.key}={axis.value_text(axis.values[at[i]])}" for i, axis in enumerate(axes))
                    raise InvalidRecipe(f"cell {where}: {exc.message}") from None
                cells.append(Cell(len(cells), at, recipe))
    return SweepPlan(base, tuple(axes), tuple(cells))


def fit_labels(plan: SweepPlan, extra_model_paths: Iterable[Path] = ()) -> tuple[SweepPlan, tuple[str, ...]]:
    """A sweep over `model` with a class label (the families side by side: digits-diffusion,
    digits-vae, digits-gan for label 3): the cells on a model without class labels (a VAE
    without a fitted prior) run unconditional instead of failing, and a note says so. Any other sweep is left as it is."""
    from engine.models.catalog import find_model

    if "model" not in {axis.field for axis in plan.axes} or not isinstance(plan.base.conditioning, ClassLabel):
        return plan, ()
    cells, unlabelled = [], []
    for cell in plan.cells:
        try:
            info = find_model(cell.recipe.model, extra_model_paths)
        except NoisescopeError:
            cells.append(cell)  # check() names the model that is missing
            continue
        if isinstance(cell.recipe.conditioning, ClassLabel) and not info.labels:
            cells.append(replace(cell, recipe=cell.recipe.replace(conditioning=Unconditional())))
            unlabelled.append(info.name)
        else:
            cells.append(cell)
    notes = tuple(f"{name} has no class labels: its cells draw any digit, unconditionally"
                  for name in dict.fromkeys(unlabelled))
    return replace(plan, cells=tuple(cells)), notes


def _value(value: Any, base: Recipe) -> Any:
    # A swept prompt keeps the base recipe's negative prompt.
    if isinstance(value, TextPrompt) and base.negative_prompt:
        return TextPrompt(value.prompt, base.negative_prompt)
    return value


def _extends(cells: list[Cell], cell: Cell) -> bool:
    first = cells[0].recipe
    if first.batch != 1 or first.variation_strength != 0.0:
        return False
    return cell.recipe.seed == first.seed + len(cells) and cell.recipe.replace(seed=first.seed) == first
