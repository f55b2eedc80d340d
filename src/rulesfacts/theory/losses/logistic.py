"""Logistic loss g(z) = log(1 + e^{−z}); its proximal has no closed form (vectorised Newton)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from rulesfacts.theory.losses.base import Loss


class Logistic(Loss):
    name = "logistic"
    slope0 = -0.5

    def value(self, z):
        return np.logaddexp(0.0, -z)

    def grad(self, z):
        return -expit(-z)

    def prox(self, omega, V, iters: int = 100, tol: float = 1e-12):
        """Solve f(h) = h − ω − V·σ(−h) = 0. f increases in h and the root lies in [ω, ω + V]
        (σ ∈ (0, 1)). Safeguarded Newton: a step is kept only if it stays inside the shrinking
        bracket and at least halves |f|; otherwise the element bisects (so it always converges)."""
        omega = np.asarray(omega, float)
        lo, hi = omega.copy(), omega + V
        h = (lo + hi) / 2
        f_prev = np.full_like(omega, np.inf)
        for _ in range(iters):
            s = expit(-h)
            f = h - omega - V * s
            done = np.abs(f) < tol * (1 + np.abs(h))
            if done.all():
                break
            lo, hi = np.where(f < 0, h, lo), np.where(f > 0, h, hi)
            step = h - f / (1 + V * s * (1 - s))
            newton_ok = (step >= lo) & (step <= hi) & (np.abs(f) < 0.5 * f_prev)
            f_prev = np.abs(f)
            h = np.where(done, h, np.where(newton_ok, step, (lo + hi) / 2))
            h = np.clip(h, lo, hi)
        return h

    def dprox(self, omega, V):
        return self.dprox_at(self.prox(omega, V), V)

    def dprox_at(self, h, V):
        """∂prox/∂ω = 1/(1 + V g''(h)), from the prox value h (saves a second Newton solve)."""
        s = expit(-h)
        return 1 / (1 + V * s * (1 - s))
