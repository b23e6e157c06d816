"""Fitting a VAE's latent prior to its encoded training digits (why: engine/models/latent_prior.py).

Per class c, a Gaussian moment-matched to the aggregate posterior of its training digits, the
mixture of the encoder's N(mu_i, diag(exp(logvar_i))): mean = mean of mu_i, covariance = covariance
of mu_i + mean of diag(exp(logvar_i)); class weights = the classes' shares of the training set.
This is Ghosh et al.'s ex-post density estimation (ICLR 2020) with one Gaussian per class.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from engine.models.latent_prior import LatentPrior
from engine.training.data import Digits, to_model_input

DIGIT_CLASSES = 10
ENCODE_BATCH = 500
METHOD = ("one Gaussian per class, moment-matched to the encoder's posteriors of the class's training images: "
          "mean of mu, covariance of mu + mean posterior variance, then scaled by spread squared; classes weighted "
          "by their share of the training set (ex-post density estimation: Ghosh et al., ICLR 2020)")
MIN_SPREAD, MAX_SPREAD = 0.25, 4.0  # beyond these the classes' Gaussians collapse onto a point or swamp each other


@dataclass(frozen=True)
class FittedPrior:
    prior: LatentPrior
    labels: list[str]  # class names, index = class id (the config's labels)
    record: dict[str, Any]  # how it was fitted, for config["training"]["latent_prior"]


@torch.inference_mode()
def encode_all(vae: nn.Module, images: torch.Tensor, batch: int = ENCODE_BATCH) -> tuple[torch.Tensor, torch.Tensor]:
    """(mu, variance), float64 on the CPU, of model-input images (N, 1, H, W); the module in eval mode."""
    device = next(vae.parameters()).device
    mus, variances = [], []
    for at in range(0, len(images), batch):
        mu, logvar = vae.encode(images[at:at + batch].to(device))  # type: ignore[operator]
        mus.append(mu.double().cpu())
        variances.append(logvar.double().exp().cpu())
    return torch.cat(mus), torch.cat(variances)


def class_gaussians(mu: torch.Tensor, variance: torch.Tensor, labels: torch.Tensor, classes: int) -> LatentPrior:
    """The prior from encoder means and variances (N, D) and class ids (N,). A class with one image
    gets its posterior's spread; one with none gets N(0, I) and weight 0 (drawn only when asked)."""
    dim = mu.shape[1]
    means, scales, counts = [], [], []
    for c in range(classes):
        members = labels == c
        count = int(members.sum())
        if count == 0:
            means.append(torch.zeros(dim, dtype=torch.float64))
            scales.append(torch.eye(dim, dtype=torch.float64))
        else:
            spread = torch.cov(mu[members].T).reshape(dim, dim) if count > 1 else torch.zeros(dim, dim,
                                                                                               dtype=torch.float64)
            covariance = spread + torch.diag(variance[members].mean(0))
            means.append(mu[members].mean(0))
            scales.append(torch.linalg.cholesky(covariance))
        counts.append(count)
    weights = torch.tensor(counts, dtype=torch.float64) / max(1, sum(counts))
    return LatentPrior(torch.stack(means).float(), torch.stack(scales).float().tril(), weights.float())


def fit_prior(vae: nn.Module, data: Digits, command: str, classes: int = DIGIT_CLASSES,
              spread: float = 1.0) -> FittedPrior:
    """The prior of `vae` (eval mode: its BatchNorm statistics as sampling uses them) on the digits.
    `spread` scales each class's Gaussian (its standard deviations; 1: the moment match): wider draws
    fewer samples near any one training digit, at some cost in how recognisable they are."""
    if len(data.images) == 0 or int(data.labels.min()) < 0 or int(data.labels.max()) >= classes:
        raise ValueError(f"fitting a latent prior needs training images labelled 0 to {classes - 1}")
    if not MIN_SPREAD <= spread <= MAX_SPREAD:
        raise ValueError(f"the prior's spread must be from {MIN_SPREAD} to {MAX_SPREAD}, not {spread}")
    mu, variance = encode_all(vae.eval(), to_model_input(data.images))
    labels = torch.from_numpy(data.labels).long()
    fitted = class_gaussians(mu, variance, labels, classes)
    prior = LatentPrior(fitted.means, fitted.scale_tril * spread, fitted.weights)
    counts = torch.bincount(labels, minlength=classes).tolist()
    diagonal = prior.scale_tril.diagonal(dim1=-2, dim2=-1)
    record = {
        "kind": "class_gaussians", "command": command, "method": METHOD, "spread": spread, "images": len(labels),
        "per_class": counts, "latent_dim": int(mu.shape[1]),
        # how far apart the classes are against how wide each is: the gaps z ~ N(0, I) falls into
        "mean_posterior_std": round(float(variance.sqrt().mean()), 4),
        "class_std": round(float(prior.scale_tril.square().sum((1, 2)).div(mu.shape[1]).sqrt().mean()), 4),
        "between_class_distance": round(float(torch.pdist(prior.means.double()).mean()), 4),
        "encoded_mean_norm": round(float(mu.norm(dim=1).mean()), 4),
        "smallest_scale": round(float(diagonal.min()), 6),
        "torch": torch.__version__,
    }
    return FittedPrior(prior, [str(c) for c in range(classes)], record)


def shipped_copy(module: nn.Module) -> nn.Module:
    """A copy with its float weights rounded through fp16, as save_bundled writes them: the prior is
    fitted to the encoder that ships."""
    shipped = copy.deepcopy(module).eval()
    with torch.no_grad():
        for tensor in shipped.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().to(tensor.dtype))
    return shipped
