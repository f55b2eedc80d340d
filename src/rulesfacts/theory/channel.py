"""The channel (loss) side of the RAF state evolution, for any loss given by its proximal map.

Labels: y = sign(ν) with probability 1 − ε, a uniform random sign with probability ε, where
ν = w*·x/√d is the teacher field. The learner's field at a training point (cavity) is
ω ~ N(0, q), correlated with ν through m (ν | ω ~ N((m/q)ω, 1 − η), η = m²/q). With
f(y, ω) = (prox(y, ω, V) − ω)/V, the conjugate overlaps are (replica / GCM form, Gerace et al.
2020 eq. (3.12); Loureiro et al. 2021 eq. (2.10); restated for the RAF channel in Farné et al. 2026):

    q̂ = α E[f²],    V̂ = −α E[∂_ω f],    m̂ = α E[f · (ν − (m/q) ω)] / (1 − η).

Averaging over ν given ω in closed form and using y → −y, ω → −ω symmetry reduces everything to
one-dimensional integrals over t = ω/√q (b = √(η/(1−η))):

    q̂ = 2α E_t[P₊(t) f₊²],   V̂ = 2α E_t[P₊(t)(1 − prox′)]/V,   m̂ = 2α(1−ε)/√(1−η) E_t[φ(bt) f₊],
    P₊(t) = ε/2 + (1 − ε) Φ(bt)  (probability that the label is +1 given ω).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from rulesfacts.theory.losses import Loss, Square
from rulesfacts.theory.quadrature import gauss_nodes

ETA_MAX = 1 - 1e-12
SQRT_2PI = np.sqrt(2 * np.pi)


def teacher_slope(m: float, q: float) -> tuple[float, float]:
    """(η, b): squared cosine with the teacher and the slope of P(ν > 0 | t) = Φ(b t)."""
    eta = min(m * m / q, ETA_MAX) if q > 0 else 0.0
    return eta, np.sign(m) * np.sqrt(eta / (1 - eta))


def _nodes(loss: Loss, q: float, V: float, b: float, n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    sq = np.sqrt(q)
    breaks = [0.0, *(k / sq for k in loss.kinks(V))]
    if abs(b) > 0.3:  # Φ(bt), φ(bt) vary on the scale 1/|b|: resolve that window
        breaks += [s / abs(b) for s in (-6, -3, -1, 1, 3, 6)]
    return gauss_nodes(tuple(breaks), n)


def conjugates(loss: Loss, alpha: float, eps: float, m: float, q: float, V: float) -> tuple[float, float, float]:
    """(m̂, q̂, V̂) for the channel above; closed form for square loss, quadrature otherwise."""
    if isinstance(loss, Square):
        return Square.conjugates(alpha, eps, m, q, V)
    return quadrature_conjugates(loss, alpha, eps, m, q, V)


def quadrature_conjugates(loss: Loss, alpha: float, eps: float, m: float, q: float,
                          V: float) -> tuple[float, float, float]:
    """(m̂, q̂, V̂) by quadrature, for any loss (the tests check it on square loss's closed form)."""
    eta, b = teacher_slope(m, q)
    t, w = _nodes(loss, q, V, b)
    omega = np.sqrt(q) * t
    h = loss.prox(omega, V)
    f = (h - omega) / V
    p_plus = eps / 2 + (1 - eps) * ndtr(b * t)
    q_hat = 2 * alpha * np.sum(w * p_plus * f * f)
    dprox = loss.dprox_at(h, V)
    if dprox is None:
        dprox = loss.dprox(omega, V)
    v_hat = 2 * alpha * np.sum(w * p_plus * (1 - dprox)) / V
    phi = np.exp(-0.5 * (b * t) ** 2) / SQRT_2PI
    m_hat = 2 * alpha * (1 - eps) / np.sqrt(1 - eta) * np.sum(w * phi * f)
    return float(m_hat), float(q_hat), float(v_hat)
