"""State evolution: fixed points, limits that must coincide, E_mem, and the failure mode."""

import numpy as np
import pytest
from scipy.special import erfc

from rulesfacts.errors import ConfigError, DivergedError
from rulesfacts.theory import solve_point, theory_curve
from rulesfacts.theory.losses import Square, get_loss
from rulesfacts.theory.models import Linear
from rulesfacts.theory.state_evolution import iterate


def test_square_fixed_point_satisfies_the_equations():
    alpha, eps, lam = 1.7, 0.3, 0.05
    r = solve_point("linear", "square", alpha, eps, lam)
    m_hat, q_hat, v_hat = Square.conjugates(alpha, eps, r["m"], r["q"], r["V"])
    den = lam + v_hat
    assert (r["m"], r["q"], r["V"]) == pytest.approx((m_hat / den, (m_hat**2 + q_hat) / den**2, 1 / den), rel=1e-7)
    assert r["e_gen"] == pytest.approx(np.arccos(r["m"] / np.sqrt(r["q"])) / np.pi)
    assert r["e_mem"] == pytest.approx(0.5 * erfc(r["V"] / np.sqrt(2 * r["q"])))  # references.md §2


def test_square_without_facts_matches_ridge_closed_form_limit():
    # λ → ∞: w ∝ Xᵀy, so m/√q → E|ν|/√(E|ν|² + 1/α) (Hebbian rule), E_gen = arccos(...)/π
    alpha = 3.0
    r = solve_point("linear", "square", alpha, 0.0, 1e4)
    hebb = np.sqrt(2 / np.pi) / np.sqrt(2 / np.pi + 1 / alpha)
    assert r["m"] / np.sqrt(r["q"]) == pytest.approx(hebb, rel=1e-3)


@pytest.mark.parametrize("loss", ["square", "hinge", "logistic"])
def test_kernel_without_nonlinear_part_is_the_linear_learner(loss):
    lin = solve_point("linear", loss, 1.5, 0.2, 0.2)
    ker = solve_point("kernel", loss, 1.5, 0.2, 0.2, mu1=1.0, mustar=0.0)
    for k in ("e_gen", "e_mem", "m", "q", "V"):
        assert ker[k] == pytest.approx(lin[k], rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("loss", ["square", "hinge"])
def test_random_features_tend_to_the_kernel_as_kappa_grows(loss):
    ker = solve_point("kernel", loss, 1.0, 0.2, 0.3, mu1=0.8, mustar=0.6)
    gaps = [abs(solve_point("rf", loss, 1.0, 0.2, 0.3, mu1=0.8, mustar=0.6, kappa=k)["e_gen"] - ker["e_gen"])
            for k in (4.0, 40.0, 400.0)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 2e-3


def test_e_mem_for_any_loss_is_the_prox_sign_flip_probability():
    # direct quadrature of P(prox(+1, ω, V) < 0), ω ~ N(0, q), against the closed form Φ(V g'(0)/√q)
    rng = np.random.default_rng(1)
    for name in ("hinge", "logistic"):
        r = solve_point("linear", name, 1.0, 0.4, 0.3)
        omega = np.sqrt(r["q"]) * rng.standard_normal(400_000)
        mc = np.mean(get_loss(name).prox(omega, r["V"]) < 0)
        assert r["e_mem"] == pytest.approx(mc, abs=3e-3)


def test_facts_fully_memorized_below_interpolation():
    r = solve_point("linear", "square", 0.5, 0.3, 1e-4)  # n < d: ridgeless interpolates every label
    assert r["e_mem"] < 1e-6 and r["e_train_rule"] < 1e-6


def test_non_convergence_is_a_clear_error():
    with pytest.raises(DivergedError, match="state evolution for Linear/hinge at alpha=2"):
        iterate(Linear(), get_loss("hinge"), 2.0, 0.2, 0.1, schedule=((0.5, 0, 2),))


def test_bad_inputs_are_config_errors():
    with pytest.raises(ConfigError, match="lam"):
        solve_point("linear", "square", 1.0, 0.2, 0.0)
    with pytest.raises(ConfigError, match="fact_frac"):
        solve_point("linear", "square", 1.0, 1.5, 0.1)
    with pytest.raises(ConfigError, match="learner"):
        solve_point("mlp", "square", 1.0, 0.2, 0.1)


def test_theory_curve_columns_and_warm_start_agree_with_cold_points():
    df = theory_curve("linear", "hinge", [0.5, 1.0, 2.0, 4.0], fact_frac=0.1, lam=0.05)
    assert list(df.columns[:6]) == ["alpha", "e_gen", "e_mem", "m", "q", "V"]
    cold = solve_point("linear", "hinge", 4.0, 0.1, 0.05)
    assert df["e_gen"].iloc[-1] == pytest.approx(cold["e_gen"], rel=1e-6)
    assert df["e_gen"].is_monotonic_decreasing
