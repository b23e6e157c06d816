"""A VAE's fitted latent prior: one Gaussian per class, fitted to where the encoder puts the training digits.

A VAE trained towards N(0, I) does not fill N(0, I): its encoded training digits form one cluster
per class, and z ~ N(0, I) often lands between them, where the decoder draws blends of two digits.
Sampling instead from Gaussians moment-matched to the aggregate posterior of each class ("ex-post
density estimation": Ghosh et al., ICLR 2020, "From variational to deterministic autoencoders"; the
two-stage VAE of Dai and Wipf, ICLR 2019, fits a second model to the same end) keeps samples where
the decoder learned to draw digits. The tensors live in model.safetensors under PRIOR_PREFIX
(engine/models/formats/noisescope.py documents them); engine/training/latent_prior_fit.py fits them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from engine.errors import ModelLoadError
from engine.models.formats.noisescope import PRIOR_KEYS, PRIOR_PREFIX

FIX = "run `noisescope fit-prior MODEL_FOLDER` to fit it again"


@dataclass(frozen=True)
class LatentPrior:
    """K Gaussians in a D-dimensional latent: z = means[c] + scale_tril[c] @ noise, class c drawn by weight."""

    means: torch.Tensor  # (K, D) float32
    scale_tril: torch.Tensor  # (K, D, D) float32: lower-triangular, positive diagonal (a Cholesky factor)
    weights: torch.Tensor  # (K,) float32, >= 0, summing > 0: how often each class is drawn with no label

    @classmethod
    def from_state(cls, state: dict[str, torch.Tensor], classes: int, latent_dim: int, where: Path | str
                   ) -> LatentPrior:
        """The prior from its tensors (the `latent_prior.` keys of the weights), checked; ModelLoadError
        naming the file and what is wrong."""
        unknown = sorted(set(state) - set(PRIOR_KEYS))
        if unknown:
            raise ModelLoadError(f"{where}: unknown latent prior tensor(s) {', '.join(unknown)}; the prior has "
                                 f"{', '.join(PRIOR_KEYS)}: {FIX}")
        missing = [key for key in PRIOR_KEYS if key not in state]
        if missing:
            raise ModelLoadError(f"{where}: config.json names a latent prior but the weights lack "
                                 f"{', '.join(missing)}: {FIX}")
        shapes = {"means": (classes, latent_dim), "scale_tril": (classes, latent_dim, latent_dim),
                  "weights": (classes,)}
        tensors = {}
        for name, shape in shapes.items():
            tensor = state[PRIOR_PREFIX + name]
            if not tensor.is_floating_point():
                raise ModelLoadError(f"{where}: {PRIOR_PREFIX}{name} must hold float values, not {tensor.dtype}: {FIX}")
            if tuple(tensor.shape) != shape:
                raise ModelLoadError(f"{where}: {PRIOR_PREFIX}{name} has shape {tuple(tensor.shape)}, but "
                                     f"{classes} labels and latent_dim {latent_dim} need {shape}: {FIX}")
            tensor = tensor.detach().to("cpu", torch.float32)
            if not torch.isfinite(tensor).all():
                raise ModelLoadError(f"{where}: {PRIOR_PREFIX}{name} holds NaN or infinite values: {FIX}")
            tensors[name] = tensor
        scale = tensors["scale_tril"]
        if (scale.triu(1) != 0).any():
            raise ModelLoadError(f"{where}: {PRIOR_PREFIX}scale_tril must be lower-triangular (a Cholesky factor), "
                                 f"but has values above its diagonal: {FIX}")
        if (scale.diagonal(dim1=-2, dim2=-1) <= 0).any():
            raise ModelLoadError(f"{where}: {PRIOR_PREFIX}scale_tril must have a positive diagonal: {FIX}")
        weights = tensors["weights"]
        if (weights < 0).any() or weights.sum() <= 0:
            raise ModelLoadError(f"{where}: {PRIOR_PREFIX}weights must be >= 0 and not all 0: {FIX}")
        return cls(tensors["means"], scale, weights)

    @property
    def classes(self) -> int:
        return int(self.means.shape[0])

    def draw_classes(self, generators: list[torch.Generator]) -> torch.Tensor:
        """One class per sample, by weight, each from its own sample's generator (long, (N,))."""
        return torch.cat([torch.multinomial(self.weights, 1, generator=g) for g in generators])

    def sample(self, noise: torch.Tensor, classes: torch.Tensor, towards: torch.Tensor | None = None,
               strength: float = 0.0) -> torch.Tensor:
        """noise (N, D) standard normal, classes (N,) -> z (N, D) float32, row i from row i alone.
        `towards` (N,) with `strength` t: each Gaussian's mean and scale moved linearly by t towards
        that class's (an interpolation between two seeds of different classes; t = 1 is the other's)."""
        noise = noise.to("cpu", torch.float32)
        ends = classes.tolist() if towards is None else towards.tolist()
        rows = []
        for start, end, row in zip(classes.tolist(), ends, noise):  # one product per row: batch-independent
            mean = torch.lerp(self.means[start], self.means[end], strength)
            scale = torch.lerp(self.scale_tril[start], self.scale_tril[end], strength)
            rows.append(mean + scale @ row)
        return torch.stack(rows)

    def tensors(self) -> dict[str, torch.Tensor]:
        """The weights-file entries (float32, contiguous), keys under PRIOR_PREFIX."""
        return {PRIOR_PREFIX + name: value.detach().to("cpu", torch.float32).contiguous()
                for name, value in (("means", self.means), ("scale_tril", self.scale_tril),
                                    ("weights", self.weights))}


def split_prior(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(the module's weights, the latent prior's tensors): the prior is not part of the module."""
    module = {key: value for key, value in state.items() if not key.startswith(PRIOR_PREFIX)}
    prior = {key: value for key, value in state.items() if key.startswith(PRIOR_PREFIX)}
    return module, prior
