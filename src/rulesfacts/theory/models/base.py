"""Interface of a learner's prior side."""

from __future__ import annotations

import numpy as np


class Model:
    names: tuple[str, ...] = ()
    alpha_scale = 1.0  # the channel sees α·alpha_scale samples per parameter

    def init_state(self) -> np.ndarray:
        raise NotImplementedError

    def effective(self, state: np.ndarray, lam: float) -> tuple[float, float, float]:
        """(m, q, V) of the predictor on training points, fed to the channel."""
        raise NotImplementedError

    def test_overlaps(self, state: np.ndarray) -> tuple[float, float]:
        """(m, q) of the predictor on fresh points (E_gen)."""
        m, q, _ = self.effective(state, 1.0)
        return m, q

    def update(self, hats: tuple[float, float, float], lam: float) -> np.ndarray:
        raise NotImplementedError


def ridge_prior(m_hat: float, q_hat: float, v_hat: float, lam: float) -> tuple[float, float, float]:
    """Gaussian prior with penalty λ/2‖w‖² (references.md §2; Aubin et al. 2020 eq. (15)):
    m = m̂/(λ+V̂), q = (m̂² + q̂)/(λ+V̂)², V = 1/(λ+V̂)."""
    den = lam + v_hat
    return m_hat / den, (m_hat**2 + q_hat) / den**2, 1 / den
