"""Principal planes: the two directions along which a model's latents (or its images) vary most.

VAE: PCA of the encoder's means for the training digits (the data the model learnt). The plane
passes through their mean; it reaches 2.5 standard deviations along each component.

GAN (and a VAE without matching data): its prior is isotropic, so a PCA of prior draws finds no
direction. Instead, as GANSpace (Härkönen et al. 2020) does with a layer's features, the images
decoded from many prior draws are PCA'd and each image component is regressed back onto z: the
z-directions that move the image most. For a class-conditional GAN the images are one class's, so
each class gets its own plane. Torch-free: the sampling is engine/latent_map/make.py's.
"""

from __future__ import annotations

import numpy as np

from engine.latent_map.plane import PRINCIPAL, PRIOR_EXTENT, LatentPlane

SPREAD_SD = 2.5


def _components(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, the first two principal directions (2, F), each one's variance) of rows (N, F)."""
    rows = np.asarray(rows, dtype=np.float64)
    mean = rows.mean(axis=0)
    _, singular, vt = np.linalg.svd(rows - mean, full_matrices=False)
    variance = singular**2 / max(1, len(rows) - 1)
    # Sign fixed (largest entry positive): the same plane from the same data on any LAPACK.
    signs = np.sign(vt[np.arange(2), np.abs(vt[:2]).argmax(axis=1)])
    return mean, vt[:2] * signs[:, None], variance


def pca_plane(latents: np.ndarray, *, model: str = "", source: str = "encoded training digits") -> LatentPlane:
    """The plane of latents' (N, D) first two principal components, through their mean."""
    mean, axes, variance = _components(latents)
    share = tuple(float(v / variance.sum()) for v in variance[:2])
    extent = (SPREAD_SD * float(np.sqrt(variance[0])), SPREAD_SD * float(np.sqrt(variance[1])))
    return LatentPlane(mean, axes, extent, PRINCIPAL, 0, None, model,
                       f"principal components of {len(latents)} {source} ({share[0]:.0%} and {share[1]:.0%} "
                       f"of the variance), ±{SPREAD_SD:g} sd", share)


def regression_plane(latents: np.ndarray, images: np.ndarray, *, label: str | None = None,
                     model: str = "") -> LatentPlane:
    """GANSpace on the output: the image PCA's first two components regressed onto z (N, D), made
    orthonormal; the plane passes through the prior's centre and reaches ±2.5 sd of it."""
    latents = np.asarray(latents, dtype=np.float64)
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    mean, components, variance = _components(flat)
    scores = (flat - mean) @ components.T  # (N, 2): each draw's image along the two components
    scores /= scores.std(axis=0, keepdims=True) + 1e-12
    directions, *_ = np.linalg.lstsq(scores, latents - latents.mean(axis=0), rcond=None)  # (2, D)
    q, r = np.linalg.qr(directions.T)
    axes = (q * np.sign(np.diag(r))).T
    share = tuple(float(v / variance.sum()) for v in variance[:2])
    which = f"class {label} " if label is not None else ""
    return LatentPlane(np.zeros(latents.shape[1]), axes, (PRIOR_EXTENT, PRIOR_EXTENT), PRINCIPAL, 0, label, model,
                       f"z-directions of the {which}images' principal components ({share[0]:.0%} and {share[1]:.0%} "
                       f"of their variance; GANSpace on {len(latents)} draws), ±{PRIOR_EXTENT:g} sd", share)
