"""Linear learner h = w·x/√d with ridge penalty λ/2‖w‖²."""

from __future__ import annotations

import numpy as np

from rulesfacts.theory.models.base import Model, ridge_prior


class Linear(Model):
    names = ("m", "q", "V")

    def init_state(self):
        return np.array([0.1, 0.5, 1.0])

    def effective(self, state, lam):
        return float(state[0]), float(state[1]), float(state[2])

    def update(self, hats, lam):
        return np.array(ridge_prior(*hats, lam))
