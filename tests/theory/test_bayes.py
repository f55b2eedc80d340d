"""Bayes-optimal E_gen: known limits and the α^-1 decay, against ridge's α^-1/2."""

import numpy as np
import pytest

from rulesfacts.theory import solve_point
from rulesfacts.theory.bayes import bayes_point


def _slope(errors, alphas):
    return np.polyfit(np.log(alphas), np.log(errors), 1)[0]


def test_bayes_decays_like_one_over_alpha_and_ridge_like_one_over_sqrt_alpha():
    alphas = np.geomspace(100, 1000, 5)
    bayes = [bayes_point(a, 0.2)["e_gen"] for a in alphas]
    ridge = [solve_point("linear", "square", a, 0.2, 1.0)["e_gen"] for a in alphas]
    assert _slope(bayes, alphas) == pytest.approx(-1.0, abs=0.03)
    assert _slope(ridge, alphas) == pytest.approx(-0.5, abs=0.03)


def test_noiseless_limit_matches_the_known_perceptron_value():
    # ε = 0, α = 1: Bayes-optimal sign perceptron generalization (Györgyi 1990 / Aubin et al. 2020 fig. 1)
    # the fixed point of q = q̂/(1+q̂), q̂ = α E[...] done by an independent dense trapezoid integral
    def qhat(q, alpha=1.0):
        t = np.linspace(-12, 12, 40_001)
        v = 1 - q
        u = np.sqrt(q / v) * t
        from scipy.special import ndtr
        integrand = np.exp(-t * t / 2) / np.sqrt(2 * np.pi) * np.exp(-u * u) / (2 * np.pi * v) * (
            1 / ndtr(u) + 1 / ndtr(-u))
        return alpha * np.trapezoid(integrand, t)
    q, previous = 0.5, 0.0
    while abs(q - previous) > 1e-12:
        qh = qhat(q)
        previous, q = q, qh / (1 + qh)
    assert bayes_point(1.0, 0.0)["q"] == pytest.approx(q, rel=1e-6)


def test_bayes_is_a_lower_bound_for_every_learner():
    for alpha in (0.5, 2.0, 5.0):
        b = bayes_point(alpha, 0.3)["e_gen"]
        for loss in ("square", "hinge", "logistic"):
            for lam in (0.01, 0.3, 3.0):
                assert solve_point("linear", loss, alpha, 0.3, lam)["e_gen"] >= b - 1e-9


def test_pure_facts_cannot_be_generalized():
    assert bayes_point(3.0, 1.0)["e_gen"] == 0.5
