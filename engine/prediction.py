"""Splitting a model output into the predicted clean image x0 and the predicted noise.

Everything is in "alpha space", x_t = sqrt(abar) x0 + sqrt(1 - abar) eps, which is what the model
sees for every scheduler (Euler-style schedulers scale their sample into it with
scale_model_input). abar comes from the step's noise level sigma: abar = 1 / (1 + sigma^2).
"""

from __future__ import annotations

import math

import torch


def split_prediction(output: torch.Tensor, x_t: torch.Tensor, sigma: float,
                     prediction_type: str) -> tuple[torch.Tensor, torch.Tensor]:
    abar = 1.0 / (1.0 + sigma * sigma)
    a, s = math.sqrt(abar), math.sqrt(1.0 - abar)
    if prediction_type == "epsilon":
        eps = output
        x0 = (x_t - s * eps) / a
    elif prediction_type == "v_prediction":
        x0 = a * x_t - s * output
        eps = s * x_t + a * output
    elif prediction_type == "sample":
        x0 = output
        eps = (x_t - a * x0) / max(s, 1e-8)
    else:
        raise ValueError(f"unknown prediction type {prediction_type!r}")
    return x0, eps


def guidance_noise(conditional: torch.Tensor, unconditional: torch.Tensor, x_t: torch.Tensor, sigma: float,
                   prediction_type: str, guidance: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A guided step's noise predictions, conditional and unconditional, and guidance * (their
    difference): what the guided prediction adds to the unconditional one. On the device, no sync."""
    _, eps_cond = split_prediction(conditional.float(), x_t, sigma, prediction_type)
    _, eps_uncond = split_prediction(unconditional.float(), x_t, sigma, prediction_type)
    return eps_cond, eps_uncond, (eps_cond - eps_uncond).mul_(guidance)


def noise_levels(scheduler) -> list[float]:
    """sigma for each entry of scheduler.timesteps, as Python floats (read once, never per step)."""
    timesteps = scheduler.timesteps.detach().cpu()
    sigmas = getattr(scheduler, "sigmas", None)
    if sigmas is not None and len(sigmas) == len(timesteps) + 1:
        return [float(s) for s in sigmas[:-1].detach().cpu()]
    alphas = scheduler.alphas_cumprod.detach().cpu().double()
    levels = []
    for t in timesteps.tolist():
        abar = float(alphas[int(round(t))])
        levels.append(math.sqrt((1 - abar) / max(abar, 1e-20)))
    return levels
