"""Errors from the order parameters (m, q, V) of the effective linear predictor.

E_gen (references.md §2): a fresh rule point x is misclassified when sign(h) ≠ sign(ν) with (ν, h)
jointly Gaussian, unit teacher variance, cov m, var q: E_gen = arccos(m/√q)/π.

E_mem — our definition: the fraction of training facts whose *training* prediction has the wrong
sign, sign(h_μ) ≠ y_μ (h = 0 counts as wrong). At the fixed point a training prediction is
h = prox(y, ω, V) with cavity field ω ~ N(0, q) (Gerace et al. 2020 eq. (3.13)); a fact's label
is independent of ω, and prox(+1, ω, V) < 0 exactly when ω < V·g'(0) (the optimality condition
of the prox at h = 0). Hence, for any loss g(y·h):

    E_mem = Φ(V·g'(0)/√q)        (square, hinge: g'(0) = −1;  logistic: g'(0) = −1/2),

which for square loss is references.md's ½ erfc(V/√(2q)).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from rulesfacts.theory.channel import teacher_slope
from rulesfacts.theory.quadrature import gauss_nodes


def e_gen(m: float, q: float) -> float:
    """Generalization error on fresh rule data, arccos(m/√q)/π."""
    if q <= 0:
        return 0.5
    return float(np.arccos(np.clip(m / np.sqrt(q), -1.0, 1.0)) / np.pi)


def e_mem(q: float, V: float, slope0: float) -> float:
    """Fraction of training facts predicted with the wrong sign, Φ(V g'(0)/√q)."""
    if q <= 0:
        return 0.5 if V <= 0 else 0.0
    return float(ndtr(V * slope0 / np.sqrt(q)))


def e_train_rule(m: float, q: float, V: float, slope0: float) -> float:
    """Training error on the rule points: 2·E_t[Φ(bt) 1{√q t < V g'(0)}] (same argument as E_mem,
    with the label sign(ν) correlated with ω)."""
    if q <= 0:
        return 0.5 if V <= 0 else 0.0
    t0 = V * slope0 / np.sqrt(q)
    _, b = teacher_slope(m, q)
    t, w = gauss_nodes((t0, 0.0), 48, limit=10.0)
    return float(2 * np.sum(w * ndtr(b * t) * (t < t0)))
