"""The loss side: proximal maps and conjugates against closed forms and a brute-force Monte Carlo."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from rulesfacts.theory.channel import quadrature_conjugates
from rulesfacts.theory.losses import LOSSES, Square, get_loss


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("V", [0.3, 2.0, 150.0])
def test_prox_is_the_argmin(name, V):
    loss = get_loss(name)
    for omega in (-40.0, -3.0, -0.4, 0.0, 0.7, 1.0, 5.0):
        def objective(h, omega=omega):
            return (h - omega) ** 2 / (2 * V) + loss.value(np.array(h))

        brute = minimize_scalar(objective, bounds=(min(omega, 1) - V - 1, max(omega, 1) + V + 1),
                                method="bounded", options={"xatol": 1e-11}).x
        assert loss.prox(np.array([omega]), V)[0] == pytest.approx(brute, abs=1e-6)


@pytest.mark.parametrize("m, q, V", [(0.3, 0.5, 0.8), (1.2, 2.0, 3.0), (0.9, 0.85, 0.2)])
def test_quadrature_channel_equals_square_closed_form(m, q, V):
    closed = Square.conjugates(2.0, 0.3, m, q, V)
    assert quadrature_conjugates(Square(), 2.0, 0.3, m, q, V) == pytest.approx(closed, rel=1e-9)


def _monte_carlo(loss, alpha, eps, m, q, V, n=600_000, seed=0):
    """Unreduced definitions: q̂ = αE[f²], V̂ = −αE[∂f], m̂ = αE[f(ν − (m/q)ω)]/(1 − m²/q)."""
    rng = np.random.default_rng(seed)
    nu = rng.standard_normal(n)
    omega = (m * nu + np.sqrt(q - m * m) * rng.standard_normal(n))  # cov(ν, ω) = m, var ω = q
    y = np.where(rng.random(n) < eps, rng.choice([-1.0, 1.0], n), np.sign(nu))
    z = y * omega
    f = y * (loss.prox(z, V) - z) / V
    df = (loss.dprox(z, V) - 1) / V
    return (alpha * np.mean(f * (nu - m / q * omega)) / (1 - m * m / q), alpha * np.mean(f * f), -alpha * np.mean(df))


@pytest.mark.parametrize("name", ["hinge", "logistic"])
def test_quadrature_channel_matches_monte_carlo(name):
    loss = get_loss(name)
    args = (1.5, 0.25, 0.8, 1.3, 1.7)
    mc = _monte_carlo(loss, *args)
    assert quadrature_conjugates(loss, *args) == pytest.approx(mc, rel=2e-2)
