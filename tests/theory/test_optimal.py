"""Optimal λ and the λ trade-off."""

import numpy as np
import pytest

from rulesfacts.theory import solve_point
from rulesfacts.theory.optimal import optimal_lambda, tradeoff_curve


@pytest.mark.parametrize("learner, loss, params", [("linear", "square", {}), ("linear", "logistic", {}),
                                                   ("kernel", "hinge", {"mu1": 1.0, "mustar": 0.5})])
def test_optimal_lambda_beats_a_dense_grid(learner, loss, params):
    best = optimal_lambda(learner, loss, 2.0, 0.2, **params)
    grid = [solve_point(learner, loss, 2.0, 0.2, lam, **params)["e_gen"] for lam in np.geomspace(1e-3, 1e2, 21)]
    assert best["e_gen"] <= min(grid) + 1e-5
    assert 1e-4 < best["lam"] < 1e2


def test_square_ridge_optimum_is_the_known_value():
    # square loss only sees y through y = c·ν + noise with c = (1−ε)√(2/π) and noise variance 1 − c²,
    # so the best ridge is the Bayes-optimal one for that linear model: λ* = (1 − c²)/c² = 1/c² − 1
    eps = 0.2
    assert optimal_lambda("linear", "square", 1.5, eps)["lam"] == pytest.approx(
        1 / ((1 - eps) ** 2 * 2 / np.pi) - 1, rel=2e-3)


def test_regularisation_trades_memorization_for_the_rule():
    df = tradeoff_curve("linear", "square", 0.8, 0.3, np.geomspace(1e-3, 10, 12))
    assert df["e_mem"].is_monotonic_increasing  # stronger ridge forgets facts
    assert df["e_mem"].iloc[0] < 1e-3 and df["e_mem"].iloc[-1] > 0.1
    assert df["e_gen"].idxmin() not in (0, len(df) - 1)  # ...while the rule has an interior optimum
