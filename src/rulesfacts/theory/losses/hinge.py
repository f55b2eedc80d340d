"""Hinge loss g(z) = max(0, 1 − z): the SVM; its λ → 0 limit is the max-margin classifier."""

from __future__ import annotations

import numpy as np

from rulesfacts.theory.losses.base import Loss


class Hinge(Loss):
    name = "hinge"
    slope0 = -1.0

    def value(self, z):
        return np.maximum(0.0, 1 - z)

    def grad(self, z):
        return np.where(z < 1, -1.0, 0.0)

    def prox(self, omega, V):
        # three regimes: pushed by V (ω < 1−V), pinned at the margin h = 1, untouched (ω > 1)
        return np.where(omega < 1 - V, omega + V, np.where(omega > 1, omega, 1.0))

    def dprox(self, omega, V):
        return np.where((omega > 1 - V) & (omega < 1), 0.0, 1.0)

    def kinks(self, V):
        return (1 - V, 1.0)
