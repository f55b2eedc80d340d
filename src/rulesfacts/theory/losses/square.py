"""Square loss g(z) = (1 − z)²/2, i.e. ½(y − h)² for y = ±1."""

from __future__ import annotations

import numpy as np

from rulesfacts.theory.losses.base import Loss


class Square(Loss):
    name = "square"
    slope0 = -1.0

    def value(self, z):
        return 0.5 * (1 - z) ** 2

    def grad(self, z):
        return z - 1

    def prox(self, omega, V):
        return (omega + V) / (1 + V)

    def dprox(self, omega, V):
        return np.ones_like(np.asarray(omega, float)) / (1 + V)

    @staticmethod
    def conjugates(alpha: float, eps: float, m: float, q: float, V: float) -> tuple[float, float, float]:
        """Closed-form channel for square loss (references.md §2): the Gaussian integrals of
        ``theory.channel`` done by hand. Used as the fast path and as the test's known answer."""
        den = 1 + V
        c = np.sqrt(2 / np.pi) * (1 - eps)
        return alpha * c / den, alpha * (1 + q - 2 * c * m) / den**2, alpha / den
