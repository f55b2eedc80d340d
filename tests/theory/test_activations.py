"""Gaussian-equivalence coefficients and quadrature against closed forms."""

import numpy as np
import pytest
from scipy.integrate import quad

from rulesfacts.errors import ConfigError
from rulesfacts.theory.models.activations import ge_coefficients
from rulesfacts.theory.quadrature import gaussian_mean

CLOSED = {  # (μ0, μ1, μ⋆²) from E[σ], E[zσ], E[σ²]
    "sign": (0.0, np.sqrt(2 / np.pi), 1 - 2 / np.pi),
    "relu": (1 / np.sqrt(2 * np.pi), 0.5, 0.5 - 1 / (2 * np.pi) - 0.25),
    "erf": (0.0, 2 / np.sqrt(3 * np.pi), 2 / np.pi * np.arcsin(2 / 3) - 4 / (3 * np.pi)),
}


@pytest.mark.parametrize("act", sorted(CLOSED))
def test_ge_coefficients_match_closed_forms(act):
    mu0, mu1, mustar2 = CLOSED[act]
    ge = ge_coefficients(act)
    assert ge.mu0 == pytest.approx(mu0, abs=1e-10)
    assert ge.mu1 == pytest.approx(mu1, rel=1e-10)
    assert ge.mustar**2 == pytest.approx(mustar2, rel=1e-8)


def test_tanh_against_adaptive_quadrature():
    phi = lambda z: np.exp(-z * z / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    mu1 = quad(lambda z: z * np.tanh(z) * phi(z), -np.inf, np.inf)[0]
    second = quad(lambda z: np.tanh(z) ** 2 * phi(z), -np.inf, np.inf)[0]
    ge = ge_coefficients("tanh")
    assert ge.mu1 == pytest.approx(mu1, rel=1e-9)
    assert ge.mustar**2 == pytest.approx(second - mu1**2, rel=1e-8)


def test_any_callable_activation_and_unknown_name():
    ge = ge_coefficients(lambda z: 3 * z)  # linear: all signal, no nonlinear part
    assert (ge.mu0, ge.mu1) == pytest.approx((0.0, 3.0)) and ge.mustar == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ConfigError):
        ge_coefficients("softsign")


def test_gaussian_mean_moments():
    assert gaussian_mean(lambda z: z**4) == pytest.approx(3.0, rel=1e-12)
    assert gaussian_mean(lambda z: np.abs(z), breaks=(0.0,)) == pytest.approx(np.sqrt(2 / np.pi), rel=1e-12)
