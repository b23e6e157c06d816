"""Interpolation videos between seeds: the plan (core), the runner and the export."""
