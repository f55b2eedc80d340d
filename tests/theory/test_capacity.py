"""Capacity α_c(ε): Cover's 2 at ε = 1, monotone in ε, and the LP check at finite d."""

import numpy as np
import pytest

from rulesfacts.errors import ConfigError
from rulesfacts.theory.capacity import alpha_c, gardner_h, separable_fraction


def test_cover_gardner_capacity_of_random_labels():
    assert alpha_c(1.0) == pytest.approx(2.0, rel=1e-8)


def test_capacity_grows_as_facts_get_rarer():
    values = [alpha_c(e) for e in (1.0, 0.7, 0.4, 0.2, 0.1, 0.02)]
    assert all(a < b for a, b in zip(values, values[1:], strict=False))
    assert alpha_c(0.0) == float("inf")
    with pytest.raises(ConfigError):
        alpha_c(1.2)


def test_gardner_h_against_monte_carlo():
    rng = np.random.default_rng(0)
    z, nu = rng.standard_normal((2, 2_000_000))
    eps, t = 0.3, 1.7
    y_nu = np.where(rng.random(nu.size) < eps, nu, np.abs(nu))  # facts: y·ν symmetric; rule: |ν|
    assert gardner_h(t, eps) == pytest.approx(np.mean(np.maximum(z - t * y_nu, 0) ** 2), rel=1e-2)


@pytest.mark.parametrize("eps", [1.0, 0.3])
def test_linear_programming_separability_brackets_alpha_c(eps):
    ac = alpha_c(eps)
    # finite-d transition width ~ 1/√d: ±25% around α_c at d = 100 is clear of it
    assert separable_fraction(0.75 * ac, eps, d=100, instances=6, seed=1) >= 5 / 6
    assert separable_fraction(1.25 * ac, eps, d=100, instances=6, seed=2) <= 1 / 6
