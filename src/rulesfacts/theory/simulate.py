"""Finite-d RAF experiments: draw data, fit the learner exactly, measure E_gen / E_mem over seeds.

Every learner is a ridge-penalised linear model h = Z a on some design Z (n × D):
linear Z = X/√d; random features Z = (σ(XFᵀ/√d) − μ0)/√p; kernel Z = μ1 X/√d plus one private
parameter per training point (``theory.models.kernel``). The private parameters are minimised out
exactly, leaving the Moreau envelope of the loss with width τ = μ⋆²/λ as a smooth per-sample loss,
and the training prediction h = prox_τ(u). So the kernel fit is a d-dimensional smooth convex problem
with the same optimum as the n × n kernel machine with K = μ1² XXᵀ/d + μ⋆² I.

Exact fits: square loss in closed form (primal or dual, whichever is smaller); logistic and the
kernel envelopes by L-BFGS (gradient tolerance 1e-6); linear/RF hinge through the SVM dual
quadratic (box-constrained L-BFGS-B; no intercept, unlike libsvm).

``kernel_matrix=True`` fits the kernel learner with its *nonlinear* n × n kernel matrix instead
(``theory.kernels``: the infinite-width kernel of the activation ``act``). Any positive-definite
K = LLᵀ is a linear model on the features Z = L (Cholesky), so the same exact fits apply; the
predictor is h(x) = Σ_i c_i K(x_i, x) with c = L⁻ᵀa. E_gen is measured on fresh points with a
control variate: the linearised kernel μ1²XXᵀ/d + μ⋆²I is fitted on the same data, its E_gen is
known exactly (the angle of its weights), and only the two predictors' difference on the fresh
points is sampled. Its values are reported too (``linearised_*``): the gap between the two is the
error of the linearisation alone, the rest of the gap to the theory is the linear problem's own
finite-d bias.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cholesky, solve_triangular
from scipy.optimize import minimize

from rulesfacts.errors import ConfigError
from rulesfacts.runtime import track
from rulesfacts.theory import kernels
from rulesfacts.theory.config import RAFPoint
from rulesfacts.theory.losses import Loss, get_loss
from rulesfacts.theory.models.activations import activation, ge_coefficients

METRICS = ("e_gen", "e_mem", "e_train_rule", "m", "q")


@dataclass(frozen=True)
class RAFData:
    X: np.ndarray  # (n, d)
    y: np.ndarray  # (n,) ±1
    is_fact: np.ndarray  # (n,) bool
    teacher: np.ndarray  # (d,)


def make_data(alpha: float, eps: float, d: int, rng: np.random.Generator) -> RAFData:
    """n = round(α d) Gaussian inputs; exactly round(ε n) of them are facts with random ±1 labels,
    the rest follow the rule y = sign(w*·x/√d) (references.md §2)."""
    n = max(int(round(alpha * d)), 1)
    teacher = rng.standard_normal(d)
    X = rng.standard_normal((n, d))
    y = np.sign(X @ teacher)
    y[y == 0] = 1.0
    is_fact = np.zeros(n, bool)
    is_fact[rng.permutation(n)[: int(round(eps * n))]] = True
    y[is_fact] = rng.choice([-1.0, 1.0], size=int(is_fact.sum()))
    return RAFData(X, y, is_fact, teacher)


def fit_ridge(Z: np.ndarray, y: np.ndarray, loss: Loss, lam: float, tau: float = 0.0, gtol: float = 1e-6) -> np.ndarray:
    """argmin_a Σ_μ M_τ(y_μ (Z a)_μ) + λ/2 ‖a‖², M_τ = Moreau envelope of the loss (τ = 0: the loss)."""
    n, D = Z.shape
    if loss.name == "square":  # envelope of ½(1−z)² is ½(1−z)²/(1+τ): ridge with λ(1+τ)
        lam_eff = lam * (1 + tau)
        if n >= D:
            return np.linalg.solve(Z.T @ Z + lam_eff * np.eye(D), Z.T @ y)
        return Z.T @ np.linalg.solve(Z @ Z.T + lam_eff * np.eye(n), y)
    if loss.name == "hinge" and tau == 0:
        return _svm_dual(Z * y[:, None], lam, gtol)
    yZ = Z * y[:, None]

    def fun(a):
        z = yZ @ a
        if tau > 0:
            h = loss.prox(z, tau)
            val, dval = loss.value(h) + (h - z) ** 2 / (2 * tau), (z - h) / tau
        else:
            val, dval = loss.value(z), loss.grad(z)
        return float(val.sum() + lam / 2 * a @ a), yZ.T @ dval + lam * a

    a0 = np.zeros(D)
    res = minimize(fun, a0, jac=True, method="L-BFGS-B", options={"maxiter": 20000, "gtol": gtol, "ftol": 0})
    return res.x


def fit_kernel(K: np.ndarray, y: np.ndarray, loss: Loss, lam: float, gtol: float = 1e-6) -> np.ndarray:
    """Coefficients c of the kernel machine h = K c minimising Σ_μ g(y_μ h_μ) + λ/2 cᵀKc (the RKHS
    norm): the fit on the features Z = L of K = LLᵀ (a = Lᵀc, so ‖a‖² = cᵀKc and Z a = K c).
    K must be positive definite (every kernel here is, through its μ⋆² I part)."""
    L = cholesky(K, lower=True)
    a = fit_ridge(L, y, loss, lam, gtol=gtol)
    return solve_triangular(L, a, lower=True, trans="T")


def _svm_dual(yZ: np.ndarray, lam: float, gtol: float) -> np.ndarray:
    """Hinge + ridge through its dual, a box-constrained quadratic solved by L-BFGS-B:
    max_{0 ≤ β ≤ 1} Σβ − ‖Zᵀ(y∘β)‖²/(2λ), a = Zᵀ(y∘β)/λ (no intercept, unlike libsvm)."""

    def fun(b):
        v = yZ.T @ b
        return 0.5 * v @ v / lam - b.sum(), yZ @ v / lam - 1

    n = yZ.shape[0]
    res = minimize(fun, np.zeros(n), jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * n,
                   options={"maxiter": 50000, "gtol": min(gtol, 1e-8), "ftol": 0, "maxcor": 20})
    return yZ.T @ res.x / lam


def _train_predictions(u: np.ndarray, y: np.ndarray, loss: Loss, tau: float) -> np.ndarray:
    """y·h on training points; with private kernel parameters h = y·prox_τ(y u)."""
    z = y * u
    return loss.prox(z, tau) if tau > 0 else z


def _angle_error(w: np.ndarray, teacher: np.ndarray) -> float:
    """Exact error of sign(w·x) against sign(w*·x) over Gaussian x: arccos(cos ∠(w, w*))/π."""
    c = w @ teacher / (np.linalg.norm(w) * np.linalg.norm(teacher) + 1e-300)
    return float(np.arccos(np.clip(c, -1, 1)) / np.pi)


def simulate_once(point: RAFPoint, d: int, seed: int, n_test: int = 20000,
                  kernel_matrix: bool = False) -> dict[str, float]:
    """One seed: E_gen on fresh rule data (exact for linear/kernel, n_test samples for RF and for
    the nonlinear kernel matrix), E_mem on the training facts, training error on the rule points,
    and the overlaps m, q."""
    rng = np.random.default_rng(seed)
    data = make_data(point.alpha, point.fact_frac, d, rng)
    loss = get_loss(point.loss)
    X, y, teacher = data.X, data.y, data.teacher
    tau = 0.0
    if kernel_matrix:
        return _simulate_kernel_matrix(point, data, loss, d, rng, n_test)
    if point.learner == "linear":
        a = fit_ridge(X / np.sqrt(d), y, loss, point.lam)
        u, w_in, scale = X @ a / np.sqrt(d), a, 1.0
    elif point.learner == "kernel":
        mu1, mustar = point.coefficients()
        tau = mustar**2 / point.lam
        a = fit_ridge(mu1 * X / np.sqrt(d), y, loss, point.lam, tau)
        u, w_in, scale = mu1 * X @ a / np.sqrt(d), a, mu1
    elif point.learner == "rf":
        return _simulate_rf(point, data, loss, d, rng, n_test)
    else:
        raise ConfigError("learner", point.learner, "linear | kernel | rf (bayes has no finite-d fit here)")
    margins = _train_predictions(u, y, loss, tau)
    wrong = margins <= 0
    return {"e_gen": _angle_error(w_in, teacher), "e_mem": _mean(wrong[data.is_fact]),
            "e_train_rule": _mean(wrong[~data.is_fact]),
            "m": float(scale * w_in @ teacher / d), "q": float(scale**2 * w_in @ w_in / d)}


def _simulate_rf(point: RAFPoint, data: RAFData, loss: Loss, d: int, rng: np.random.Generator,
                 n_test: int) -> dict[str, float]:
    act_name = point.act or "sign"
    act, ge = activation(act_name), ge_coefficients(act_name)
    p = max(int(round(point.kappa * d)), 1)
    F = rng.standard_normal((p, d))

    def features(X):  # centred: μ0 is a constant feature the theory drops (Gerace et al. 2020)
        return (act(X @ F.T / np.sqrt(d)) - ge.mu0) / np.sqrt(p)

    Z = features(data.X)
    a = fit_ridge(Z, data.y, loss, point.lam)
    wrong = data.y * (Z @ a) <= 0
    errs = []
    for start in range(0, n_test, 5000):
        Xt = rng.standard_normal((min(5000, n_test - start), d))
        errs.append(np.sign(features(Xt) @ a) != np.sign(Xt @ data.teacher))
    w_s = F.T @ a / np.sqrt(p)
    return {"e_gen": _mean(np.concatenate(errs)), "e_mem": _mean(wrong[data.is_fact]),
            "e_train_rule": _mean(wrong[~data.is_fact]),
            "m": float(ge.mu1 * w_s @ data.teacher / d),
            "q": float(ge.mu1**2 * w_s @ w_s / d + ge.mustar**2 * a @ a / p)}


def check_kernel_matrix(point: RAFPoint) -> None:
    """The kernel-matrix fit needs a kernel: learner kernel with ``act`` one of ``KERNELS``."""
    if point.learner != "kernel":
        raise ConfigError("learner", point.learner, "kernel (the kernel-matrix fit is for the kernel learner)")
    if point.act not in kernels.KERNELS:
        raise ConfigError("act", point.act, " | ".join(kernels.KERNELS) + " (the kernel-matrix fit needs the "
                          "activation whose kernel it builds; mu1/mustar describe only a linearisation)")


def _simulate_kernel_matrix(point: RAFPoint, data: RAFData, loss: Loss, d: int, rng: np.random.Generator,
                            n_test: int) -> dict[str, float]:
    """The kernel learner with its nonlinear kernel matrix, and its linearisation on the same data."""
    check_kernel_matrix(point)
    ge = ge_coefficients(point.act)
    X, y = data.X, data.y
    K = kernels.kernel_matrix(point.act, X)
    K_lin = ge.mu1**2 * (X @ X.T / d) + ge.mustar**2 * np.eye(len(y))
    c = fit_kernel(K, y, loss, point.lam)
    c_lin = fit_kernel(K_lin, y, loss, point.lam)
    w_lin = ge.mu1**2 * X.T @ c_lin / np.sqrt(d)  # the linearised predictor is w_lin·x/√d
    # Control variate: sample only the difference of the two predictors on fresh points.
    d_err = d_m = d_q = 0.0
    for start in range(0, n_test, 2000):
        Xt = rng.standard_normal((min(2000, n_test - start), d))
        t = Xt @ data.teacher / np.sqrt(d)
        h, h_lin = kernels.kernel_matrix(point.act, Xt, X) @ c, Xt @ w_lin / np.sqrt(d)
        rule = np.sign(t)
        d_err += float(np.sum(np.sign(h) != rule) - np.sum(np.sign(h_lin) != rule))
        d_m += float(h @ t - h_lin @ t)
        d_q += float(h @ h - h_lin @ h_lin)
    lin = {"e_gen": _angle_error(w_lin, data.teacher), "m": float(w_lin @ data.teacher / d),
           "q": float(w_lin @ w_lin / d)}
    wrong, wrong_lin = y * (K @ c) <= 0, y * (K_lin @ c_lin) <= 0
    lin.update(e_mem=_mean(wrong_lin[data.is_fact]), e_train_rule=_mean(wrong_lin[~data.is_fact]))
    out = {"e_gen": lin["e_gen"] + d_err / n_test, "e_mem": _mean(wrong[data.is_fact]),
           "e_train_rule": _mean(wrong[~data.is_fact]), "m": lin["m"] + d_m / n_test, "q": lin["q"] + d_q / n_test}
    out.update({f"linearised_{k}": lin[k] for k in METRICS})
    out.update({f"nonlinear_gap_{k}": out[k] - lin[k] for k in ("e_gen", "e_mem")})
    return out


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else float("nan")


def simulate_point(point: RAFPoint, d: int = 1000, seeds: int = 5, seed0: int = 0, n_test: int = 20000,
                   progress: bool = False, kernel_matrix: bool = False) -> dict[str, float]:
    """Mean and standard error over ``seeds`` independent data sets (keys e_gen, e_gen_se, ...).

    ``kernel_matrix``: fit the kernel learner with its nonlinear kernel matrix (module docstring);
    adds the linearised kernel's values on the same data (``linearised_*``) and the paired
    differences ``nonlinear_gap_e_gen``, ``nonlinear_gap_e_mem``."""
    if point.learner == "bayes":
        raise ConfigError("learner", "bayes", "linear | kernel | rf (the Bayes estimator is theory only)")
    if n_test < 1:
        raise ConfigError("n_test", n_test, "an integer >= 1")
    if d < 2:
        raise ConfigError("d", d, "an integer >= 2")
    if seeds < 1:
        raise ConfigError("seeds", seeds, "an integer >= 1")
    if kernel_matrix:
        check_kernel_matrix(point)
    t0 = time.perf_counter()
    rows = [simulate_once(point, d, seed0 + s, n_test, kernel_matrix)
            for s in track(range(seeds), f"simulate {point.learner}/{point.loss}", progress)]
    out: dict[str, float] = {"d": d, "seeds": seeds}
    for k in rows[0]:
        vals = np.array([r[k] for r in rows])
        out[k] = float(np.mean(vals))
        out[f"{k}_se"] = float(np.std(vals, ddof=1) / np.sqrt(len(vals))) if len(vals) > 1 else float("nan")
    out["seconds"] = time.perf_counter() - t0
    return out
