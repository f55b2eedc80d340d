"""A network whose neuron classes are known by construction."""

from __future__ import annotations

import numpy as np

from rulesfacts.analysis.analytic import analytic_weights


def mixed_weights(p: int, n_rule: int, n_random: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Gromov's analytic neurons (known generalizing) followed by random Gaussian neurons (known
    non-periodic), with the random ones small enough not to spoil the rule."""
    rule = analytic_weights(p, n_rule, seed)
    rng = np.random.default_rng(seed + 1)
    w_in = np.concatenate([rule["W_in"], 0.05 * rng.standard_normal((n_random, 2 * p))])
    w_out = np.concatenate([rule["W_out"], 0.05 * rng.standard_normal((p, n_random))], axis=1)
    return {"W_in": w_in.astype(np.float32), "W_out": w_out.astype(np.float32)}
