"""Optimal regularisation and the E_gen–E_mem trade-off as λ varies (Farné et al. 2026: the
regulariser decides how much capacity goes to the facts)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from scipy.optimize import minimize_scalar

from rulesfacts.runtime import track
from rulesfacts.theory.api import solve_point

LOG_LAM_BOUNDS = (-4.0, 2.0)  # λ ∈ [1e-4, 1e2]


def optimal_lambda(learner: str, loss: str, alpha: float, fact_frac: float,
                   bounds: tuple[float, float] = LOG_LAM_BOUNDS, **params: Any) -> dict[str, Any]:
    """λ* = argmin_λ E_gen, by bounded Brent search on log10 λ; returns the point at λ*
    (with key ``lam``). E_gen(λ) is unimodal in every case we checked; a λ* at a bound means the
    optimum lies outside (e.g. λ → 0 for hinge at small ε)."""
    cache: dict[float, dict] = {}

    def e_gen(log_lam: float) -> float:
        cache[log_lam] = solve_point(learner, loss, alpha=alpha, fact_frac=fact_frac, lam=10**log_lam, **params)
        return cache[log_lam]["e_gen"]

    res = minimize_scalar(e_gen, bounds=bounds, method="bounded", options={"xatol": 1e-3})
    best = cache.get(res.x) or solve_point(learner, loss, alpha=alpha, fact_frac=fact_frac, lam=10**res.x, **params)
    return {"lam": float(10**res.x), **best}


def tradeoff_curve(learner: str, loss: str, alpha: float, fact_frac: float, lams: Iterable[float],
                   progress: bool = False, **params: Any) -> pd.DataFrame:
    """E_gen and E_mem along λ (columns lam, e_gen, e_mem, m, q, V, ...): the trade-off curve."""
    rows = [{"lam": lam, **solve_point(learner, loss, alpha=alpha, fact_frac=fact_frac, lam=lam, **params)}
            for lam in track([float(v) for v in lams], f"{learner}/{loss} λ sweep", progress)]
    return pd.DataFrame(rows)
