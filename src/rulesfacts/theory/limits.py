"""The λ → 0 limits of the RAF linear learner: the minimum-norm interpolator (square loss) and the
max-margin classifier (hinge and logistic loss on separable data), in theory and at finite d.

**Square loss.** At λ = 0 the ridge state evolution (``theory.models.base.ridge_prior`` with the
square channel of ``theory.losses.square``) closes by hand. With c = √(2/π)(1 − ε) = E[y ν]:

* α < 1 (more parameters than samples): V = (1 − α)/λ → ∞, the fit interpolates every label, and
  m = α c,   q = α (1 − α c²)/(1 − α)            (the minimum-norm interpolator, pinv(X) y);
* α > 1: V = 1/(α − 1), and m = c,   q = c² + (1 − c²)/(α − 1)   (ordinary least squares).

Both diverge at α = 1 (the interpolation peak of double descent).

**Max-margin.** Hinge loss with λ → 0 on separable data tends to the hard-margin SVM
min ‖w‖² s.t. y_μ w·x_μ/√d ≥ 1, and logistic loss with λ → 0 tends to the same *direction*
(Rosset, Zhu & Hastie 2004; Soudry et al. 2018 for gradient descent). Gordon's comparison
(Gardner 1988's capacity computation with a teacher-correlated student; in this form Montanari,
Ruan, Sohn & Yan 2019 and Deng, Kammoun & Thrampoulidis 2022): at unit norm, with ρ the cosine
to the teacher, the largest margin κ satisfies

    α · E[(κ − ρ·yν − √(1 − ρ²)·Z)₊²] = 1 − ρ²,   maximised over ρ ∈ (0, 1),

Z, ν ~ N(0, 1) independent, yν = |ν| on rule points and ±ν on facts. For the margin-1 solution:
m = ρ/κ, q = 1/κ², E_gen = arccos(ρ)/π, and every training label is fitted (E_mem = 0). The
margin reaches 0 at the capacity α_c(ε) of ``theory.capacity``; beyond it the data are not
separable, no max-margin solution exists, and hinge/logistic at λ → 0 converge to their
unpenalised empirical-risk minimisers instead (training errors > 0; use ``solve_point`` at a
small λ there).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import ndtr

from rulesfacts.errors import ConfigError
from rulesfacts.theory import error_rates
from rulesfacts.theory.quadrature import gauss_nodes

SQRT_2PI = math.sqrt(2 * math.pi)


def _check(alpha: float, eps: float) -> None:
    if not (alpha > 0 and math.isfinite(alpha)):
        raise ConfigError("alpha", alpha, "a positive number")
    if not 0 <= eps <= 1:
        raise ConfigError("fact_frac", eps, "a fraction in [0, 1]")


def min_norm_square(alpha: float, eps: float) -> dict[str, float]:
    """Square loss at λ → 0: minimum-norm interpolator (α < 1) or least squares (α > 1)."""
    _check(alpha, eps)
    if alpha == 1:
        raise ConfigError("alpha", alpha, "≠ 1 (the λ → 0 square-loss fit diverges at α = 1)")
    c = math.sqrt(2 / math.pi) * (1 - eps)
    if alpha < 1:
        m, q = alpha * c, alpha * (1 - alpha * c * c) / (1 - alpha)
        return {"m": m, "q": q, "V": math.inf, "e_gen": error_rates.e_gen(m, q), "e_mem": 0.0,
                "e_train_rule": 0.0}
    V = 1 / (alpha - 1)
    m, q = c, c * c + (1 - c * c) / (alpha - 1)
    return {"m": m, "q": q, "V": V, "e_gen": error_rates.e_gen(m, q), "e_mem": error_rates.e_mem(q, V, -1.0),
            "e_train_rule": error_rates.e_train_rule(m, q, V, -1.0)}


def _pos_sq(a):
    """E[(a − Z)₊²] for Z ~ N(0, 1): (1 + a²)Φ(a) + a φ(a)."""
    return (1 + a * a) * ndtr(a) + a * np.exp(-a * a / 2) / SQRT_2PI


def _deficit(kappa: float, rho: float, eps: float) -> float:
    """E[(κ − ρ yν − √(1−ρ²) Z)₊²] under the RAF labels."""
    s = math.sqrt(1 - rho * rho)
    nu, w = gauss_nodes((0.0,), 64)
    half = nu > 0
    rule = 2 * np.sum(w[half] * s * s * _pos_sq((kappa - rho * nu[half]) / s))
    return float((1 - eps) * rule + eps * _pos_sq(kappa))


def _margin_at(rho: float, alpha: float, eps: float) -> float:
    """Largest κ with α·deficit(κ, ρ) ≤ 1 − ρ² (−1 where even κ = 0 is infeasible)."""
    budget = 1 - rho * rho

    def f(k):
        return alpha * _deficit(k, rho, eps) - budget

    if f(0.0) > 0:
        return -1.0
    hi = 1.0
    while f(hi) < 0:
        hi *= 2
    return brentq(f, 0.0, hi, xtol=1e-13)


def max_margin(alpha: float, eps: float) -> dict[str, float]:
    """Hard-margin (max-margin) classifier on α d RAF samples, d → ∞; needs α < α_c(ε)."""
    _check(alpha, eps)
    # κ(ρ) is −1 (infeasible) outside an interval of ρ that shrinks to a point at α_c: locate it on
    # a grid first, then refine around the best grid point
    grid = np.linspace(0.0, 1.0, 401)[1:-1]
    vals = [_margin_at(r, alpha, eps) for r in grid]
    i = int(np.argmax(vals))
    lo, hi = grid[max(i - 1, 0)] if i > 0 else 1e-9, grid[i + 1] if i + 1 < len(grid) else 1 - 1e-12
    res = minimize_scalar(lambda r: -_margin_at(r, alpha, eps), bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-12})
    rho, kappa = float(res.x), -float(res.fun)
    if vals[i] > kappa:
        rho, kappa = float(grid[i]), float(vals[i])
    if kappa <= 0:
        from rulesfacts.theory.capacity import alpha_c

        raise ConfigError("alpha", alpha, f"below the capacity α_c({eps:g}) = {alpha_c(eps):.4g}: beyond it the "
                          "data are not separable and no max-margin classifier exists")
    return {"m": rho / kappa, "q": 1 / kappa**2, "kappa": kappa, "rho": rho,
            "e_gen": float(math.acos(min(1.0, rho)) / math.pi), "e_mem": 0.0, "e_train_rule": 0.0}


# ---------------------------------------------------------------- finite d


def fit_min_norm(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """argmin ‖a‖ among the least-squares solutions of Z a ≈ y (pseudo-inverse via lstsq)."""
    return np.linalg.lstsq(Z, y, rcond=None)[0]


def fit_max_margin(Z: np.ndarray, y: np.ndarray, tol: float = 1e-8) -> np.ndarray | None:
    """Hard-margin SVM without intercept, min ‖a‖² s.t. y (Z a) ≥ 1. None when the data are not
    separable (checked exactly by the LP of ``theory.capacity.is_separable``).

    Solved as the soft-margin SVM ½‖a‖² + C Σ hinge (liblinear's dual coordinate descent, through
    scikit-learn's LinearSVC): on separable data the two have the same solution as soon as C is
    above every hard-margin dual variable, which holds when every margin comes out ≥ 1 (no
    support vector pinned at C); otherwise C grows 100-fold and the fit is repeated."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    from rulesfacts.theory.capacity import is_separable

    if not is_separable(Z, y):
        return None
    C = 1e3
    for _ in range(4):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            svm = LinearSVC(C=C, loss="hinge", fit_intercept=False, dual=True, tol=tol, max_iter=1_000_000)
            a = svm.fit(Z, y).coef_.ravel()
        if (y * (Z @ a)).min() >= 1 - 1e-6:
            return a
        C *= 100
    return a


def simulate_limit(kind: str, alpha: float, eps: float, d: int = 1000, seeds: int = 5,
                   seed0: int = 0) -> dict[str, float]:
    """Mean and standard error over ``seeds`` data sets of e_gen, m, q, e_mem, e_train_rule and the
    smallest training margin y·h (≥ 1 − 1e-3 for a converged max-margin fit), for ``kind`` =
    "min_norm" (square loss, λ → 0) or "max_margin" (hinge/logistic, λ → 0)."""
    from rulesfacts.theory.simulate import make_data

    if kind not in ("min_norm", "max_margin"):
        raise ConfigError("kind", kind, "min_norm | max_margin")
    rows = []
    for s in range(seeds):
        data = make_data(alpha, eps, d, np.random.default_rng(seed0 + s))
        Z = data.X / math.sqrt(d)
        a = fit_min_norm(Z, data.y) if kind == "min_norm" else fit_max_margin(Z, data.y)
        if a is None:
            raise ConfigError("alpha", alpha, f"a separable setting: seed {seed0 + s} at fact_frac={eps:g}, d={d} "
                              "is not linearly separable")
        margins = data.y * (Z @ a)
        c = a @ data.teacher / (np.linalg.norm(a) * np.linalg.norm(data.teacher))
        rows.append({"e_gen": float(np.arccos(np.clip(c, -1, 1)) / np.pi), "m": float(a @ data.teacher / d),
                     "q": float(a @ a / d), "e_mem": float(np.mean(margins[data.is_fact] <= 0)),
                     "e_train_rule": float(np.mean(margins[~data.is_fact] <= 0)),
                     "min_margin": float(margins.min())})
    out: dict[str, float] = {"d": d, "seeds": seeds}
    for k in rows[0]:
        v = np.array([r[k] for r in rows])
        out[k] = float(v.mean())
        out[f"{k}_se"] = float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else float("nan")
    return out
