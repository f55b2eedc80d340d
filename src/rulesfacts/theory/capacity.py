"""Memorization capacity α_c(ε): the largest α at which an ε-corrupted RAF data set is still
linearly separable (every label, rule or fact, fitted by some w).

Gardner-type computation with a teacher-correlated student (Gardner 1988; in this form Candès &
Sur 2020, Thm 1, for the existence of the logistic MLE): write w = t·w*/‖w*‖ + w⊥. The data are
separable iff for some t the orthogonal part can absorb every deficit, which in high dimension
(Gordon's comparison) happens iff

    1/α > h(t) = E[(Z − t·y·ν)₊²],   Z, ν ~ N(0, 1) independent,   so   α_c = 1 / min_t h(t).

For RAF labels, y·ν = |ν| on rule points and a symmetric ±ν on facts, so
h(t) = (1 − ε) E[(Z − t|ν|)₊²] + ε (1 + t²)/2, using E[(Z − a)₊²] = (1 + a²)Φ(−a) − aφ(a).
Checks: ε = 1 gives min h = 1/2, α_c = 2 (Cover 1965); ε → 0 gives α_c → ∞ (rule data are always
separable).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog, minimize_scalar
from scipy.special import ndtr

from rulesfacts.errors import ConfigError
from rulesfacts.theory.quadrature import gauss_nodes


def _positive_part_sq(a: np.ndarray) -> np.ndarray:
    """E[(Z − a)₊²] for Z ~ N(0, 1)."""
    return (1 + a * a) * ndtr(-a) - a * np.exp(-a * a / 2) / np.sqrt(2 * np.pi)


def gardner_h(t: float, eps: float) -> float:
    """h(t) above: the squared deficit per sample a student at teacher-slope t must absorb."""
    nu, w = gauss_nodes((0.0,), 64)
    half = nu > 0
    rule = 2 * np.sum(w[half] * _positive_part_sq(t * nu[half]))  # E over |ν| (half-normal)
    return float((1 - eps) * rule + eps * (1 + t * t) / 2)


def alpha_c(eps: float) -> float:
    """Capacity α_c(ε) = 1/min_t h(t); +inf at ε = 0."""
    if not (0 <= eps <= 1):
        raise ConfigError("fact_frac", eps, "a fraction in [0, 1]")
    if eps == 0:
        return float("inf")
    res = minimize_scalar(lambda t: gardner_h(t, eps), bounds=(0.0, 200.0), method="bounded",
                          options={"xatol": 1e-10})
    return float(1 / res.fun)


def is_separable(X: np.ndarray, y: np.ndarray) -> bool:
    """Exact finite-size check: is there w with y_μ x_μ·w ≥ 1 for all μ? (an LP feasibility problem)."""
    A = -(X * y[:, None])
    res = linprog(np.zeros(X.shape[1]), A_ub=A, b_ub=-np.ones(len(y)), bounds=(None, None), method="highs")
    return res.status == 0


def separable_fraction(alpha: float, eps: float, d: int, instances: int, seed: int = 0) -> float:
    """Fraction of random RAF data sets at (α, ε, d) that are linearly separable."""
    from rulesfacts.theory.simulate import make_data

    rng = np.random.default_rng(seed)
    hits = [is_separable(data.X, data.y) for data in (make_data(alpha, eps, d, rng) for _ in range(instances))]
    return float(np.mean(hits))
