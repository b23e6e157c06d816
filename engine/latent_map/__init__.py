"""Latent maps: a 2-D slice of a VAE's or GAN's latent space drawn as a grid of decodes, and the
seed plane of diffusion models (a point blending four seeds' start noise).

Core, torch-free (numpy): `plane` (LatentPlane, point, project, off_plane, the grid), `principal`
(PCA and GANSpace-style planes from arrays), `seed_plane` (the recipe field). Runtime (torch):
`make` (planes for a loaded model, decoding latents and grids), `seed_noise` (the blended noise).
"""

from engine.latent_map.plane import (
    KINDS,
    PRINCIPAL,
    RANDOM,
    LatentPlane,
    grid_coordinates,
    grid_latents,
    off_plane,
    point,
    project,
    random_plane,
)
from engine.latent_map.seed_plane import SeedPlane

__all__ = ["KINDS", "PRINCIPAL", "RANDOM", "LatentPlane", "SeedPlane", "grid_coordinates", "grid_latents",
           "off_plane", "point", "project", "random_plane"]
