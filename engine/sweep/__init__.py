"""Sweeps: X/Y/Z grids over the fields of the recipe table (axes, plan, runner, grid image)."""
