"""Bayes-optimal generalization on the rule (facts are pure label noise for the Bayes rule).

The RAF labels are the teacher sign flipped with probability ε/2, so the Bayes-optimal estimator
is that of a noisy sign perceptron (Farné et al. 2026, Bayes-optimal section; Aubin et al. 2020
eq. (9)). One overlap q_b with, for Z(y, ω, V) = ε/2 + (1 − ε) Φ(yω/√V), V = 1 − q_b, ω = √q_b ξ:

    q̂_b = α E_ξ Σ_y (∂_ω Z)²/Z,    q_b = q̂_b/(1 + q̂_b),    E_gen = arccos(√q_b)/π.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from rulesfacts.errors import DivergedError
from rulesfacts.theory.quadrature import gauss_nodes


def bayes_qhat(alpha: float, eps: float, qb: float) -> float:
    v = 1 - qb
    r = np.sqrt(qb / v)  # ω/√V = r·t: the integrand lives on |t| ≲ 1/r when q_b → 1
    t, w = gauss_nodes((0.0, *(k / r for k in (-6, -3, -1, 1, 3, 6))), 48)
    u = r * t
    dz2 = (1 - eps) ** 2 * np.exp(-u * u) / (2 * np.pi * v)
    z_plus = eps / 2 + (1 - eps) * ndtr(u)
    z_minus = eps / 2 + (1 - eps) * ndtr(-u)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(dz2 > 0, dz2 * (1 / z_plus + 1 / z_minus), 0.0)
    return float(alpha * np.sum(w * terms))


def bayes_point(alpha: float, eps: float, tol: float = 1e-10, max_iter: int = 20000) -> dict:
    """Fixed point of the Bayes-optimal state evolution; returns e_gen, q (= m) and iterations."""
    if eps >= 1:
        return {"e_gen": 0.5, "m": 0.0, "q": 0.0, "V": 1.0, "iterations": 0}
    qb = 0.5
    for it in range(1, max_iter + 1):
        new = bayes_qhat(alpha, eps, qb)
        new = min(new / (1 + new), 1 - 1e-15)
        if abs(new - qb) < tol * max(1 - new, 1e-12):  # relative to the distance from perfect recovery
            qb = new
            return {"e_gen": float(np.arccos(np.sqrt(qb)) / np.pi), "m": qb, "q": qb, "V": 1 - qb,
                    "iterations": it}
        qb = new
    raise DivergedError(f"Bayes-optimal state evolution at alpha={alpha:g}, eps={eps:g} did not converge")
