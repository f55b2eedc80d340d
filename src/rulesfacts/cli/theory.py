"""``rulesfacts theory | simulate | capacity | curves``: the Rules-and-Facts model from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rulesfacts.cli.common import JSON_OPTION, config_options, emit, renamed_flag, say

# The commands' defaults where they differ from RAFPoint's own (α = 1 there).
POINT_DEFAULTS = {"alpha": 2.0}


def register(app: typer.Typer) -> None:
    from rulesfacts.theory.config import RAFPoint

    @app.command("theory")
    @config_options(RAFPoint, defaults=POINT_DEFAULTS)
    def theory_cmd(given: dict[str, Any] | None = None,
                   optimal_lam: bool = typer.Option(False, "--optimal-lam", help="Report λ* minimising E_gen."),
                   as_json: bool = JSON_OPTION) -> None:
        """Asymptotic E_gen, E_mem and overlaps (m, q, V) of a RAF learner (state evolution)."""
        from rulesfacts.errors import ConfigError
        from rulesfacts.theory import solve_point
        from rulesfacts.theory.optimal import optimal_lambda

        point = RAFPoint(**given)
        params = _params(point)
        if optimal_lam and point.learner == "bayes":
            raise ConfigError("optimal_lam", True, "a learner with a penalty λ: linear, kernel or rf (the Bayes-"
                                                   "optimal estimator has no loss and no λ)")
        if optimal_lam:
            out = optimal_lambda(point.learner, point.loss, point.alpha, point.fact_frac, **params)
        else:
            out = {"lam": point.lam, **solve_point(point.learner, point.loss, point.alpha, point.fact_frac, point.lam,
                                                   **params)}
        emit(_applicable(point, {"learner": point.learner, "loss": point.loss, "alpha": point.alpha,
                                 "fact_frac": point.fact_frac, **out}), as_json, "RAF theory")

    @app.command("simulate")
    @config_options(RAFPoint, defaults=POINT_DEFAULTS)
    def simulate_cmd(given: dict[str, Any] | None = None, d: int = typer.Option(500, "--d", help="Input dimension d."),
                     seeds: int = typer.Option(5, "--seeds", help="Independent data sets (error bars)."),
                     n_test: int = typer.Option(20000, "--n-test",
                                                help="rf and --kernel-matrix: fresh test points per seed."),
                     kernel_matrix: bool = typer.Option(
                         False, "--kernel-matrix", help="kernel learner: fit the nonlinear n × n kernel matrix of "
                         "--act (relu, sign, erf) instead of its linearisation; also reports the linearised "
                         "kernel on the same data (linearised_*, nonlinear_gap_*)."),
                     quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
                     as_json: bool = JSON_OPTION) -> None:
        """Fit the learner exactly on finite-d RAF data; mean ± standard error over seeds, theory beside."""
        from rulesfacts.errors import RulesfactsError
        from rulesfacts.theory import solve_point
        from rulesfacts.theory.agreement import agreement
        from rulesfacts.theory.simulate import simulate_point

        point = RAFPoint(**given)
        out: dict[str, Any] = {"learner": point.learner, "loss": point.loss, "alpha": point.alpha,
                               "fact_frac": point.fact_frac, "lam": point.lam}
        out.update(simulate_point(point, d=d, seeds=seeds, n_test=n_test, progress=not quiet and not as_json,
                                  kernel_matrix=kernel_matrix))
        keys = ("e_gen", "e_mem", "e_train_rule", "m", "q")
        try:
            th = solve_point(point.learner, point.loss, point.alpha, point.fact_frac, point.lam, **_params(point))
            out.update({f"theory_{k}": th[k] for k in keys})
            out.update(agreement(out, th, keys))
        except RulesfactsError as e:
            out["theory_error"] = str(e)
            out["verdict"] = "no theory value at this point to compare with (the state evolution did not converge)."
        emit(out if as_json else {k: v for k, v in out.items() if k != "verdict"}, as_json, "RAF simulation")
        if not as_json:
            say(out["verdict"])

    @app.command("capacity")
    def capacity_cmd(fact_frac: float = typer.Option(1.0, "--fact-frac", help="Fraction ε of facts, in [0, 1]."),
                     old_eps: float = typer.Option(None, "--eps", hidden=True),
                     check_d: int = typer.Option(0, "--check-d",
                                                 help="Also measure the separable fraction at this d (LP)."),
                     instances: int = typer.Option(10, "--instances", help="Data sets per check point."),
                     as_json: bool = JSON_OPTION) -> None:
        """Memorization capacity α_c(ε): largest α where ε-corrupted RAF data are linearly separable."""
        from rulesfacts.errors import ConfigError
        from rulesfacts.theory.capacity import alpha_c, separable_fraction

        fact_frac = renamed_flag("fact_frac", fact_frac, "eps", old_eps)
        ac = alpha_c(fact_frac)
        out: dict[str, Any] = {"fact_frac": fact_frac, "alpha_c": ac}
        if check_d:
            if check_d < 2 or instances < 1 or not ac < float("inf"):
                raise ConfigError("check_d", check_d, "an integer >= 2 with --instances >= 1 and fact_frac > 0")
            for f in (0.85, 1.15):
                out[f"separable_at_{f:g}_alpha_c"] = separable_fraction(f * ac, fact_frac, check_d, instances)
        emit(out, as_json, "RAF capacity")

    @app.command("curves")
    def curves_cmd(spec: Path = typer.Argument(..., help="TOML file with [[figure]] tables."),
                   out: Path = typer.Option(Path("."), "--out", "-o", help="Folder for the PNGs and CSVs."),
                   quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
                   as_json: bool = JSON_OPTION) -> None:
        """Draw E_gen / E_mem vs α, λ or κ (theory lines, simulation points) from a TOML spec."""
        from rulesfacts.theory.curves import run_spec

        emit(run_spec(spec, out, progress=not quiet and not as_json), as_json, "RAF curves")


def _applicable(point, out: dict[str, Any]) -> dict[str, Any]:
    """``out`` without the settings that do not apply to the learner: the Bayes-optimal estimator
    has no loss and no penalty λ."""
    return {k: v for k, v in out.items() if not (point.learner == "bayes" and k in ("loss", "lam"))}


def _params(point) -> dict[str, Any]:
    keys = {"kernel": ("act", "mu1", "mustar"), "rf": ("kappa", "act", "mu1", "mustar")}.get(point.learner, ())
    return {k: getattr(point, k) for k in keys if getattr(point, k) is not None}
