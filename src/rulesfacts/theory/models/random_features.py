"""Random features h = a·σ̃(Fx/√d)/√p, F ∈ R^{p×d} Gaussian, p = κ d, σ̃ = σ − μ0, penalty λ/2‖a‖².

Gaussian equivalence (``activations``) makes σ̃(Fx/√d) ≈ μ1 Fx/√d + μ⋆ξ. Two blocks of overlaps:
the projection w_s = Fᵀa/√p onto input space (m_s, q_s, V_s) and the weights themselves (q_w, V_w);
the predictor has m = μ1 m_s, q = μ1² q_s + μ⋆² q_w, V = μ1² V_s + μ⋆² V_w (Gerace et al. 2020
eq. (3.11); Farné et al. 2026, random-features state evolution). The channel works per feature,
α' = α/κ, and m̂_s = κμ1 m̂, q̂_s = κμ1² q̂, V̂_s = κμ1² V̂, q̂_w = μ⋆² q̂, V̂_w = μ⋆² V̂.

The prior side is a ridge problem whose traces over the spectrum of FᵀF/p are Marchenko–Pastur
Stieltjes transforms with aspect ratio γ = 1/κ; with z = (λ + V̂_w)/V̂_s and
Δ = √((1 + γ + z)² − 4γ) they reduce to the closed forms in ``update`` (same references).
As κ → ∞ they tend to the kernel learner with the same (μ1, μ⋆) (checked in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rulesfacts.theory.models.base import Model


@dataclass(frozen=True)
class RandomFeatures(Model):
    mu1: float
    mustar: float
    kappa: float
    names = ("m_s", "q_s", "V_s", "q_w", "V_w")

    @property
    def alpha_scale(self) -> float:  # type: ignore[override]
        return 1 / self.kappa

    def init_state(self):
        return np.array([0.1, 0.5, 1.0, 0.5, 1.0])

    def effective(self, state, lam):
        ms, qs, vs, qw, vw = state
        return (self.mu1 * ms, self.mu1**2 * qs + self.mustar**2 * qw, self.mu1**2 * vs + self.mustar**2 * vw)

    def test_overlaps(self, state):
        m, q, _ = self.effective(state, 1.0)
        return m, q

    def update(self, hats, lam):
        m_hat, q_hat, v_hat = hats
        k, mu1, mus = self.kappa, self.mu1, self.mustar
        ms_h, qs_h, vs_h = k * mu1 * m_hat, k * mu1**2 * q_hat, k * mu1**2 * v_hat
        qw_h, vw_h = mus**2 * q_hat, mus**2 * v_hat
        g = 1 / k
        lw = lam + vw_h
        z = lw / vs_h
        delta = np.sqrt((1 + g + z) ** 2 - 4 * g)
        vs = (z + 1 + g - delta) / (2 * g * vs_h)
        vw = (1 - g - z + delta) / (2 * lw)
        ms = ms_h * vs
        cross = z * delta - z**2 - (g + 1) * z  # shared mixed trace of the two blocks
        s_in = ms_h**2 + qs_h
        qs = (s_in * ((2 * z + g + 1) * delta - 2 * z**2 - 3 * (g + 1) * z - (g - 1) ** 2) / (2 * g * vs_h**2 * delta)
              - qw_h * cross / (2 * g * vs_h * lw * delta))
        qw = (qw_h * ((1 - g) * delta + (g + 1) * z + (g - 1) ** 2) / (2 * lw**2 * delta)
              - s_in * cross / (2 * vs_h * lw * delta))
        return np.array([ms, qs, vs, qw, vw])
