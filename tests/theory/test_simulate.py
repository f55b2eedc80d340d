"""Finite-d fits against independent solvers (explicit kernel machine, sklearn's liblinear SVM)."""

import numpy as np
import pytest

from rulesfacts.errors import ConfigError
from rulesfacts.theory.config import RAFPoint
from rulesfacts.theory.losses import get_loss
from rulesfacts.theory.simulate import fit_ridge, make_data, simulate_point


@pytest.fixture(scope="module")
def data():
    return make_data(1.5, 0.3, 60, np.random.default_rng(0))


def test_data_has_the_requested_facts_and_rule_labels(data):
    assert data.X.shape == (90, 60) and data.is_fact.sum() == 27
    rule = ~data.is_fact
    assert np.array_equal(data.y[rule], np.sign(data.X[rule] @ data.teacher))


def test_kernel_square_equals_explicit_kernel_ridge(data):
    """Envelope fit (d-dim) vs the n × n kernel machine with K = μ1² XXᵀ/d + μ⋆² I."""
    d, mu1, mustar, lam = 60, 0.8, 0.6, 0.2
    X, y = data.X, data.y
    a = fit_ridge(mu1 * X / np.sqrt(d), y, get_loss("square"), lam, tau=mustar**2 / lam)
    K = mu1**2 * X @ X.T / d + mustar**2 * np.eye(len(y))
    beta = np.linalg.solve(K + lam * np.eye(len(y)), y)
    assert np.allclose(mu1 * X @ a / np.sqrt(d), mu1**2 * X @ X.T @ beta / d, atol=1e-8)  # test-time part
    u = mu1 * X @ a / np.sqrt(d)
    train_envelope = get_loss("square").prox(y * u, mustar**2 / lam) * y
    assert np.allclose(train_envelope, K @ beta, atol=1e-8)  # full training prediction


@pytest.mark.parametrize("loss", ["hinge", "logistic"])
def test_kernel_envelope_equals_augmented_feature_fit(data, loss):
    """Private per-sample parameters made explicit: features [μ1 X/√d, μ⋆ I] with the same λ."""
    d, mu1, mustar, lam = 60, 1.0, 0.7, 0.3
    X, y = data.X, data.y
    a = fit_ridge(mu1 * X / np.sqrt(d), y, get_loss(loss), lam, tau=mustar**2 / lam, gtol=1e-10)
    big = fit_ridge(np.hstack([mu1 * X / np.sqrt(d), mustar * np.eye(len(y))]), y, get_loss(loss), lam, gtol=1e-10)
    assert np.allclose(a, big[:d], atol=2e-4)


def test_svm_dual_matches_liblinear(data):
    from sklearn.svm import LinearSVC

    Z, lam = data.X / np.sqrt(60), 0.5
    ours = fit_ridge(Z, data.y, get_loss("hinge"), lam, gtol=1e-10)
    ref = LinearSVC(C=1 / lam, loss="hinge", fit_intercept=False, dual=True, tol=1e-10, max_iter=1_000_000)
    ref.fit(Z, data.y)
    assert np.allclose(ours, ref.coef_.ravel(), atol=1e-4)


def test_logistic_fit_is_stationary(data):
    Z, y, lam = data.X / np.sqrt(60), data.y, 0.1
    a = fit_ridge(Z, y, get_loss("logistic"), lam, gtol=1e-10)
    grad = Z.T @ (y * get_loss("logistic").grad(y * (Z @ a))) + lam * a
    assert np.abs(grad).max() < 1e-8


def test_simulate_point_reports_means_and_errors():
    out = simulate_point(RAFPoint("linear", "square", 0.5, 0.3, 1e-4), d=100, seeds=3)
    assert out["e_mem"] == 0 and out["e_train_rule"] == 0  # below interpolation every label is fitted
    assert 0 < out["e_gen"] < 0.5 and out["e_gen_se"] > 0
    with pytest.raises(ConfigError):
        simulate_point(RAFPoint(), d=1)
