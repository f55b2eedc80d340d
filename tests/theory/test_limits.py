"""λ → 0 limits of the RAF linear learner: closed forms against the ridge state evolution at small
λ, the max-margin equations against the capacity, and finite-d simulation at small d."""

import math

import pytest

from rulesfacts.errors import ConfigError
from rulesfacts.theory.api import solve_point
from rulesfacts.theory.capacity import alpha_c
from rulesfacts.theory.limits import max_margin, min_norm_square, simulate_limit


@pytest.mark.parametrize(("alpha", "eps"), [(0.3, 0.0), (0.5, 0.2), (0.9, 0.5), (1.5, 0.2), (4.0, 0.1)])
def test_min_norm_closed_form_is_the_ridge_fixed_point_at_small_lambda(alpha, eps):
    """The closed form is the λ = 0 fixed point; the ridge one at λ differs by O(λ/(1 − α)²) relative
    (first order in λ, amplified near the α = 1 pole): at λ = 1e-8 that is < 1e-5 here."""
    th = min_norm_square(alpha, eps)
    se = solve_point("linear", "square", alpha=alpha, fact_frac=eps, lam=1e-8)
    for k in ("m", "q", "e_gen", "e_mem"):
        assert se[k] == pytest.approx(th[k], rel=1e-5, abs=1e-9), k


def test_min_norm_diverges_at_the_interpolation_threshold():
    assert min_norm_square(0.99, 0.2)["q"] > 50 and min_norm_square(1.01, 0.2)["q"] > 50
    with pytest.raises(ConfigError, match="alpha"):
        min_norm_square(1.0, 0.2)


@pytest.mark.parametrize(("alpha", "eps"), [(0.5, 0.2), (1.0, 0.2), (2.0, 0.1), (1.0, 0.0)])
def test_max_margin_is_the_hinge_fixed_point_at_small_lambda(alpha, eps):
    """On separable data the soft-margin SVM equals the hard-margin one once λ ≤ 1/max β (the
    hard-margin dual variables), so hinge state evolution at λ = 1e-6 must give the max-margin
    overlaps up to the solvers' tolerances (1e-9 relative per iteration; root finding 1e-12)."""
    th = max_margin(alpha, eps)
    se = solve_point("linear", "hinge", alpha=alpha, fact_frac=eps, lam=1e-6)
    for k in ("m", "q", "e_gen"):
        assert se[k] == pytest.approx(th[k], rel=1e-5), k
    assert se["e_mem"] < 1e-12 and th["e_mem"] == 0


@pytest.mark.parametrize("eps", [0.1, 0.3, 1.0])
def test_margin_vanishes_at_the_capacity(eps):
    """κ → 0 exactly where the separability capacity α_c(ε) (an independent Gardner computation)
    says the data stop being separable; at ε = 1 that is Cover's α_c = 2 and the max-margin
    classifier is uncorrelated with the teacher (ρ = 0, E_gen = ½)."""
    ac = alpha_c(eps)
    near = max_margin(0.995 * ac, eps)
    assert 0 < near["kappa"] < 0.05
    assert max_margin(0.5 * ac, eps)["kappa"] > near["kappa"]
    with pytest.raises(ConfigError, match="capacity"):
        max_margin(1.01 * ac, eps)
    if eps == 1.0:
        assert ac == pytest.approx(2.0, rel=1e-6)
        assert near["e_gen"] == pytest.approx(0.5, abs=1e-3)


# Student t with 4 degrees of freedom (5 seeds): P(|t| > 4.6) = 1 %. Finite-size bias at d = 200 is
# below one standard error here (measured |z| ≤ 1.8 over two seed sets of every point).
T_TOL = 4.6


@pytest.mark.parametrize(("kind", "alpha", "eps"), [("min_norm", 0.5, 0.2), ("min_norm", 2.0, 0.2),
                                                    ("max_margin", 1.0, 0.2)])
def test_simulation_agrees_with_the_limit_at_small_d(kind, alpha, eps):
    th = (min_norm_square if kind == "min_norm" else max_margin)(alpha, eps)
    sim = simulate_limit(kind, alpha, eps, d=200, seeds=5)
    for k in ("e_gen", "m", "q", "e_mem"):
        se = sim[f"{k}_se"]
        if se == 0:  # every seed fitted every label: the theory must say 0 too
            assert th[k] == 0 and sim[k] == 0, k
            continue
        assert abs(sim[k] - th[k]) <= T_TOL * se, (k, sim[k], th[k], se)
    if kind == "max_margin":
        assert sim["min_margin"] > 1 - 1e-3  # the fit is a hard-margin solution


def test_max_margin_needs_separable_data():
    with pytest.raises(ConfigError, match="separable"):
        simulate_limit("max_margin", 4.0, 0.3, d=100, seeds=1)
    assert math.isinf(min_norm_square(0.5, 0.0)["V"])
