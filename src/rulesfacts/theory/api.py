"""The agreed entry points: ``solve_point`` and ``theory_curve`` (used by the report's λ slider)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.runtime import track
from rulesfacts.theory import error_rates
from rulesfacts.theory.bayes import bayes_point
from rulesfacts.theory.config import RAFPoint
from rulesfacts.theory.losses import get_loss
from rulesfacts.theory.models import Linear
from rulesfacts.theory.state_evolution import iterate

CURVE_COLUMNS = ("alpha", "e_gen", "e_mem", "m", "q", "V")


def _solve(point: RAFPoint, state0: np.ndarray | None = None) -> tuple[dict[str, Any], np.ndarray | None]:
    if point.learner == "bayes":
        out = bayes_point(point.alpha, point.fact_frac)
        out.update(e_mem=None, e_train_rule=None, e_train=None)
        return out, None
    model, loss = point.model(), get_loss(point.loss)
    fp = iterate(model, loss, point.alpha, point.fact_frac, point.lam, state0)
    m, q, V = (float(v) for v in model.effective(fp.state, point.lam))
    m_test, q_test = (float(v) for v in model.test_overlaps(fp.state))
    e_mem = error_rates.e_mem(q, V, loss.slope0)
    e_rule = error_rates.e_train_rule(m, q, V, loss.slope0)
    out = {"e_gen": error_rates.e_gen(m_test, q_test), "e_mem": e_mem, "e_train_rule": e_rule,
           "e_train": (1 - point.fact_frac) * e_rule + point.fact_frac * e_mem,
           "m": m_test, "q": q_test, "V": V, "iterations": fp.iterations}
    if not isinstance(model, Linear):
        out["q_train"] = q  # cavity variance on training points (includes the RF noise block)
        out.update({f"state_{k}": float(v) for k, v in zip(model.names, fp.state, strict=True)})
    return out, fp.state


def solve_point(learner: str, loss: str = "square", alpha: float = 1.0, fact_frac: float = 0.2,
                lam: float = 0.1, **learner_params: Any) -> dict[str, Any]:
    """Asymptotic E_gen, E_mem and overlaps (m, q, V) of one RAF learner (``RAFPoint`` fields).

    m, q are the overlaps of the predictor on fresh points with the teacher (E_gen = arccos(m/√q)/π);
    V is the response of a training prediction to its own label (sets E_mem). Bayes: e_mem is None.
    """
    return _solve(RAFPoint(learner=learner, loss=loss, alpha=alpha, fact_frac=fact_frac, lam=lam,
                           **learner_params))[0]


def theory_curve(learner: str, loss: str = "square", alphas: Iterable[float] = (1.0,), fact_frac: float = 0.2,
                 lam: float = 0.1, progress: bool = False, **params: Any) -> pd.DataFrame:
    """solve_point along α, warm-starting each point from the previous fixed point (that is what makes
    a 100-point curve fast). Columns alpha, e_gen, e_mem, m, q, V (+ e_train_rule, iterations)."""
    alphas = [float(a) for a in alphas]
    rows, state = [], None
    points = [RAFPoint(learner=learner, loss=loss, alpha=a, fact_frac=fact_frac, lam=lam, **params) for a in alphas]
    for point in track(points, f"{learner}/{loss} curve", progress):
        try:
            out, state = _solve(point, state)
        except ArithmeticError:
            out, state = _solve(point, None)  # warm start from a far point can mislead: retry cold
        rows.append({"alpha": point.alpha, **out})
    df = pd.DataFrame(rows)
    return df[[*CURVE_COLUMNS, *[c for c in df.columns if c not in CURVE_COLUMNS]]]




def trained_point_theory(cfg: TrainConfig) -> dict[str, Any]:
    """The theory's prediction for a training run on RAF data (``TrainConfig`` with task raf and
    model linear or rf): E_gen, E_mem and the overlaps, keyed ``theory_*`` so they sit beside the
    run's measured ``e_gen`` and ``e_mem``. The state evolution is the d → ∞ limit of that run."""
    if cfg.task != "raf":
        raise ConfigError("task", cfg.task, "raf (the theory describes the Rules-and-Facts data)")
    if cfg.model not in ("linear", "rf"):
        raise ConfigError("model", cfg.model, "linear | rf (the theory covers trained readouts; an MLP learns "
                                              "its features)")
    params: dict[str, Any] = {"kappa": cfg.kappa, "act": cfg.act} if cfg.model == "rf" else {}
    out = solve_point(cfg.model, cfg.loss, cfg.alpha, cfg.fact_frac, cfg.effective_lam, **params)
    return {f"theory_{k}": out[k] for k in ("e_gen", "e_mem", "m", "q") if out.get(k) is not None}
