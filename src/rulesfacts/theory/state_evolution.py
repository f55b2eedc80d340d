"""Damped fixed-point iteration of the RAF saddle-point (state-evolution) equations.

Each step: effective (m, q, V) from the model's overlaps → channel conjugates (m̂, q̂, V̂) for the
loss → new overlaps from the model's prior side. Steps are damped and Anderson-accelerated.
Convergence: relative change of every overlap < tol; otherwise a DivergedError says where.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rulesfacts.errors import DivergedError
from rulesfacts.theory.channel import conjugates
from rulesfacts.theory.losses import Loss
from rulesfacts.theory.models import Model


@dataclass(frozen=True)
class FixedPoint:
    state: np.ndarray
    iterations: int


SCHEDULE = ((0.7, 3, 400), (1.0, 0, 2000), (0.5, 0, 4000), (0.2, 0, 10000))  # (damping, memory, max_iter)


def iterate(model: Model, loss: Loss, alpha: float, eps: float, lam: float, state0: np.ndarray | None = None,
            tol: float = 1e-9, schedule: tuple[tuple[float, int, int], ...] = SCHEDULE) -> FixedPoint:
    """Fixed point of the state evolution for one (model, loss, α, ε, λ).

    Tries each (damping, Anderson memory, budget) of ``schedule`` in turn from the same start:
    Anderson-accelerated first (fast when it works), then plain damped iterations, ever more damped
    (slow but robust where the map oscillates). DivergedError only when every attempt fails."""
    total, last = 0, ""
    for damping, memory, max_iter in schedule:
        try:
            fp = _iterate(model, loss, alpha, eps, lam, state0, tol, max_iter, damping, memory)
            return FixedPoint(fp.state, total + fp.iterations)
        except DivergedError as e:
            total, last = total + max_iter, str(e)
    raise DivergedError(last.replace(f"after {schedule[-1][2]} iterations", f"after {total} iterations"))


def _iterate(model: Model, loss: Loss, alpha: float, eps: float, lam: float, state0: np.ndarray | None,
             tol: float, max_iter: int, damping: float, memory: int) -> FixedPoint:
    """One damped (and, with memory > 0, Anderson-mixed; Walker & Ni 2011) fixed-point run. Mixed
    points outside the admissible region (q, V > 0) fall back to the damped step."""
    x = model.init_state() if state0 is None else np.asarray(state0, float).copy()
    a_eff = alpha * model.alpha_scale
    xs: list[np.ndarray] = []
    gs: list[np.ndarray] = []
    change = np.inf
    for it in range(1, max_iter + 1):
        g = _step(model, loss, a_eff, eps, lam, x)
        if not np.all(np.isfinite(g)):
            raise DivergedError(_where(model, loss, alpha, eps, lam, it, "overlaps became non-finite"))
        change = float(np.max(np.abs(g - x) / (np.abs(x) + 1e-12)))
        if change < tol:
            return FixedPoint(g, it)
        xs.append(x)
        gs.append(g)
        del xs[:-memory - 1], gs[:-memory - 1]
        x_new = _anderson(xs, gs, damping) if len(xs) > 1 and memory > 0 else None
        if x_new is None or not _admissible(x_new):
            if x_new is not None:  # a bad extrapolation: restart the history
                del xs[:-1], gs[:-1]
            x_new = (1 - damping) * x + damping * g
        x = x_new
    raise DivergedError(_where(model, loss, alpha, eps, lam, max_iter,
                               f"no fixed point (last relative change {change:.2e} > tol {tol:g})"))


def _step(model: Model, loss: Loss, a_eff: float, eps: float, lam: float, x: np.ndarray) -> np.ndarray:
    m, q, V = model.effective(x, lam)
    return model.update(conjugates(loss, a_eff, eps, m, q, V), lam)


def _anderson(xs: list[np.ndarray], gs: list[np.ndarray], damping: float) -> np.ndarray | None:
    """Anderson-mixed next iterate from the residual history f_k = G(x_k) − x_k (least squares)."""
    X, G = np.array(xs), np.array(gs)
    F = G - X
    dF, dX, dG = np.diff(F, axis=0), np.diff(X, axis=0), np.diff(G, axis=0)
    scale = np.abs(X[-1]) + 1e-12  # relative units: overlaps differ by orders of magnitude
    try:
        gamma = np.linalg.lstsq((dF / scale).T, F[-1] / scale, rcond=1e-10)[0]
    except np.linalg.LinAlgError:
        return None
    x_bar, g_bar = X[-1] - gamma @ dX, G[-1] - gamma @ dG
    out = (1 - damping) * x_bar + damping * g_bar
    return out if np.all(np.isfinite(out)) else None


def _admissible(x: np.ndarray) -> bool:
    """Every overlap but the first (m or m_s) is a variance or a response: it must stay positive."""
    return bool(np.all(x[1:] > 0))


def _where(model, loss, alpha, eps, lam, it, what) -> str:
    return (f"state evolution for {type(model).__name__}/{loss.name} at alpha={alpha:g}, eps={eps:g}, "
            f"lam={lam:g}: {what} after {it} iterations; try a larger lam or a different alpha")
