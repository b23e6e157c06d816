"""Exports: images, animations, sheets and trajectories, each carrying its recipe."""
