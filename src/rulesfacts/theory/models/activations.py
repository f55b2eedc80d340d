"""Gaussian-equivalence coefficients of an activation (Mei–Montanari 2019; Goldt et al. 2020;
Gerace et al. 2020 eq. (2.4)): for z ~ N(0, 1),

    μ0 = E[σ(z)],   μ1 = E[z σ(z)],   μ⋆² = E[σ(z)²] − μ0² − μ1².

A random-features map σ(Fx/√d) then acts, for the learning problem, like μ0 + μ1 Fx/√d + μ⋆ ξ with
ξ independent Gaussian noise. Computed by quadrature (``theory.quadrature``, split at the kink at 0)
for any activation rather than tabulated.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from rulesfacts.errors import ConfigError
from rulesfacts.theory.quadrature import gaussian_mean

ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sign": np.sign,
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "erf": erf,
}


@dataclass(frozen=True)
class GECoefficients:
    mu0: float
    mu1: float
    mustar: float


def activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    if name not in ACTIVATIONS:
        raise ConfigError("act", name, " | ".join(ACTIVATIONS))
    return ACTIVATIONS[name]


def ge_coefficients(act: str | Callable[[np.ndarray], np.ndarray]) -> GECoefficients:
    """(μ0, μ1, μ⋆) of ``act`` (a name from ACTIVATIONS or any vectorised function)."""
    if isinstance(act, str):
        activation(act)  # validate the name before the cache sees it
        return _named_coefficients(act)
    return _coefficients(act)


@functools.cache
def _named_coefficients(name: str) -> GECoefficients:
    return _coefficients(ACTIVATIONS[name])


def _coefficients(f: Callable[[np.ndarray], np.ndarray]) -> GECoefficients:
    mu0 = gaussian_mean(f)
    mu1 = gaussian_mean(lambda z: z * f(z))
    second = gaussian_mean(lambda z: f(z) ** 2)
    return GECoefficients(mu0, mu1, float(np.sqrt(max(second - mu0**2 - mu1**2, 0.0))))
