"""The data of a theory report: RAF error curves E_gen(α), E_mem(α) on a grid of λ (and ε).

The page only switches between precomputed curves (a λ slider, an ε selector), so a report
opens instantly and works offline; the curves come from ``rulesfacts.theory.theory_curve``
(state evolution of Farné, Boncoraglio & Zdeborová 2026; references.md §2).

A theory spec is a small TOML file with a ``[theory]`` table (every key in it optional)::

    [theory]
    learner = "linear"          # a learner of rulesfacts.theory
    loss = "square"             # square | hinge | logistic
    eps = [0.1, 0.3]            # fraction of facts ε: a number or a list (one curve set each)
    lam = [1e-3, 1e-2, 1e-1, 1] # ridge strengths λ (the slider)
    alpha_min = 0.1             # α = n/d, log-spaced
    alpha_max = 10.0
    n_alpha = 30
    [theory.params]             # extra learner parameters, passed through (e.g. kappa = 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.io import read_toml
from rulesfacts.plotting import SUBSET_COLORS
from rulesfacts.report.encode import rounded_list

# E_gen is an error on fresh rule data (the test subset's colour); E_mem on the training facts.
CURVE_COLORS = {"e_gen": SUBSET_COLORS["test"], "e_mem": SUBSET_COLORS["facts_memorized"]}
HELP = {
    "curves": "Exact asymptotic errors of the Rules-and-Facts model (state evolution). E_gen: error on fresh "
              "rule data; E_mem: fraction of training facts the learner does NOT fit. Move the λ slider to see "
              "regularization trade memorization of facts for generalization of the rule; the faint lines are "
              "the other λ values.",
}


@dataclass(frozen=True)
class TheorySpec:
    """A grid of theory curves: one E_gen/E_mem curve over α per (ε, λ)."""

    learner: str = "linear"
    loss: str = "square"
    eps: tuple[float, ...] = (0.2,)
    lam: tuple[float, ...] = (1e-3, 1e-2, 1e-1, 1.0)
    alpha_min: float = 0.1
    alpha_max: float = 10.0
    n_alpha: int = 30
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for name in ("eps", "lam"):
            v = getattr(self, name)
            object.__setattr__(self, name, tuple(v) if isinstance(v, (list, tuple)) else (v,))
        for name in ("learner", "loss"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ConfigError(f"theory.{name}", getattr(self, name), "a non-empty name")
        if not self.eps or not all(_num(e) and 0 <= e <= 1 for e in self.eps):
            raise ConfigError("theory.eps", list(self.eps), "a number or a list of numbers in [0, 1]")
        if not self.lam or not all(_num(v) and v >= 0 for v in self.lam):
            raise ConfigError("theory.lam", list(self.lam), "a number or a list of numbers ≥ 0")
        if not (_num(self.alpha_min) and self.alpha_min > 0):
            raise ConfigError("theory.alpha_min", self.alpha_min, "a number > 0")
        if not (_num(self.alpha_max) and self.alpha_max > self.alpha_min):
            raise ConfigError("theory.alpha_max", self.alpha_max, f"a number > alpha_min = {self.alpha_min}")
        if isinstance(self.n_alpha, bool) or not isinstance(self.n_alpha, int) or not 2 <= self.n_alpha <= 1000:
            raise ConfigError("theory.n_alpha", self.n_alpha, "an integer in [2, 1000]")
        if not isinstance(self.params, dict):
            raise ConfigError("theory.params", self.params, "a table of learner parameters")

    @property
    def alphas(self) -> np.ndarray:
        return np.geomspace(self.alpha_min, self.alpha_max, self.n_alpha)


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def load_theory_spec(path: Path | str) -> TheorySpec:
    """A ``TheorySpec`` from a TOML file's ``[theory]`` table (unknown keys are an error)."""
    path = Path(path)
    data = read_toml(path, "a theory spec TOML file")
    table = data.get("theory")
    if not isinstance(table, dict):
        hint = " ([[figure]] files are for `rulesfacts curves`)" if "figure" in data else ""
        raise DataFileError(path, f"no [theory] table: not a theory report spec (see docs/explorer.md){hint}")
    known = {f.name for f in fields(TheorySpec)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"theory.{unknown[0]}", table[unknown[0]], f"one of {', '.join(sorted(known))}")
    return TheorySpec(**table)


def theory_report_data(spec: TheorySpec, on_curve: Callable[[], None] | None = None) -> dict[str, Any]:
    """Every (ε, λ) curve of ``spec`` from ``theory_curve``, as one JSON-ready dict."""
    from rulesfacts.theory import theory_curve

    alphas = spec.alphas
    grid = []
    for eps in spec.eps:
        row = []
        for lam in spec.lam:
            df = theory_curve(spec.learner, spec.loss, alphas, eps, lam, **spec.params)
            row.append({"e_gen": rounded_list(df["e_gen"]), "e_mem": rounded_list(df["e_mem"])})
            if on_curve:
                on_curve()
        grid.append(row)
    params = "".join(f" {k}={v}" for k, v in spec.params.items())
    return {"kind": "theory", "title": f"rulesfacts theory: {spec.learner} learner, {spec.loss} loss{params}",
            "learner": spec.learner, "loss": spec.loss, "params": spec.params, "alpha": rounded_list(alphas),
            "eps": list(spec.eps), "lam": list(spec.lam), "curves": grid, "colors": CURVE_COLORS, "help": HELP}
