"""The data of a theory report: RAF error curves E_gen(α), E_mem(α) on a grid of λ (and ε).

The page only switches between precomputed curves (a λ slider, an ε selector), so a report
opens instantly and works offline; the curves come from ``rulesfacts.theory.theory_curve``
(state evolution of Farné, Boncoraglio & Zdeborová 2026; references.md §2).

A theory spec is a small TOML file with a ``[theory]`` table (every key in it optional)::

    [theory]
    learner = "linear"          # a learner of rulesfacts.theory
    loss = "square"             # square | hinge | logistic
    fact_frac = [0.1, 0.3]      # fraction of facts ε: a number or a list (one curve set each)
    lam = [1e-3, 1e-2, 1e-1, 1] # ridge strengths λ (the slider)
    alpha_min = 0.1             # α = n/d, log-spaced
    alpha_max = 10.0
    n_alpha = 30
    [theory.params]             # extra learner parameters, passed through (e.g. kappa = 2.0)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rulesfacts.config import Config, Int, Many, PlainData, Real, Text, param
from rulesfacts.errors import DataFileError
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
class TheorySpec(Config):
    """A grid of theory curves: one E_gen/E_mem curve over α per (ε, λ)."""

    prefix = "theory."

    learner: str = param("linear", Text(nonempty=True), "A learner of rulesfacts.theory (linear, kernel, rf, bayes).")
    loss: str = param("square", Text(nonempty=True), "Its loss (square, hinge, logistic).")
    fact_frac: tuple[float, ...] = param((0.2,), Many(Real(0.0, 1.0), scalar=True), "Fractions ε of facts: one "
                                         "curve set each (the selector).", deprecated=("eps",))
    lam: tuple[float, ...] = param((1e-3, 1e-2, 1e-1, 1.0), Many(Real(0.0), scalar=True),
                                   "Ridge strengths λ (the slider).")
    alpha_min: float = param(0.1, Real(0.0, lo_open=True), "Smallest α = n/d of the log-spaced grid.")
    alpha_max: float = param(10.0, Real(0.0, lo_open=True), "Largest α (> alpha_min).")
    n_alpha: int = param(30, Int(2, 1000), "Points of the α grid.")
    params: dict[str, Any] = param({}, PlainData(), "Extra learner parameters, passed through (e.g. kappa = 2.0).",
                                   cli=False)

    def check_together(self) -> None:
        if self.alpha_max <= self.alpha_min:
            raise self.reject("alpha_max", f"a number > alpha_min = {self.alpha_min}")

    @property
    def alphas(self) -> np.ndarray:
        return np.geomspace(self.alpha_min, self.alpha_max, self.n_alpha)


def load_theory_spec(path: Path | str) -> TheorySpec:
    """A ``TheorySpec`` from a TOML file's ``[theory]`` table (unknown keys are an error)."""
    path = Path(path)
    data = read_toml(path, "a theory spec TOML file")
    table = data.get("theory")
    if not isinstance(table, dict):
        hint = " ([[figure]] files are for `rulesfacts curves`)" if "figure" in data else ""
        raise DataFileError(path, f"no [theory] table: not a theory report spec (see docs/explorer.md){hint}")
    return TheorySpec.from_dict(table)


def theory_report_data(spec: TheorySpec, on_curve: Callable[[], None] | None = None) -> dict[str, Any]:
    """Every (ε, λ) curve of ``spec`` from ``theory_curve``, as one JSON-ready dict."""
    from rulesfacts.theory import theory_curve

    alphas = spec.alphas
    grid = []
    for eps in spec.fact_frac:
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
            "eps": list(spec.fact_frac), "lam": list(spec.lam), "curves": grid, "colors": CURVE_COLORS, "help": HELP}
