"""Dot-product kernel learner in high dimension (El Karoui 2010 linearisation):
K(x, x') ≈ μ1² x·x'/d + μ⋆² δ_{x,x'}, i.e. a linear part w_s plus one private parameter per
training point (penalty λ/2 each). The private parameters store facts but never reach test points:
on training points they add μ⋆²/λ to V (a Moreau envelope of width μ⋆²/λ), on test points nothing.
This is the kernel state evolution of Farné et al. 2026 (λ > 0 branch):
m = μ1 m_s, q = μ1² q_s (test and cavity), V = μ1² V_s + μ⋆²/λ; m̂_s = μ1 m̂, q̂_s = μ1² q̂, V̂_s = μ1² V̂.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rulesfacts.theory.models.base import Model, ridge_prior


@dataclass(frozen=True)
class Kernel(Model):
    mu1: float = 1.0
    mustar: float = 1.0
    names = ("m_s", "q_s", "V_s")

    def init_state(self):
        return np.array([0.1, 0.5, 1.0])

    def effective(self, state, lam):
        ms, qs, vs = state
        return self.mu1 * ms, self.mu1**2 * qs, self.mu1**2 * vs + self.mustar**2 / lam

    def update(self, hats, lam):
        m_hat, q_hat, v_hat = hats
        return np.array(ridge_prior(self.mu1 * m_hat, self.mu1**2 * q_hat, self.mu1**2 * v_hat, lam))
