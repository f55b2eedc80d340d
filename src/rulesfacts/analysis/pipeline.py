"""``analyze_run``: every analysis of one run folder, written to RUN_DIR/analysis/.

The analysis depends on the architecture, so it is dispatched on ``cfg.model`` through
``ANALYZERS``. The MLP analysis (Fourier view, IPR classes, pruning, dynamics) is here; the
transformer's (Fourier analysis of the embedding) registers itself with
``ANALYZERS["transformer"] = fn``, where ``fn(run, out_dir, options, advance) -> summary dict``
computes first, then creates ``out_dir`` and writes its files (``advance(n)`` moves the
progress bar; it may be None).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.analysis.analytic import compare_to_analytic
from rulesfacts.analysis.dense import analyze_dense, analyze_parity_neurons
from rulesfacts.analysis.dynamics import run_dynamics
from rulesfacts.analysis.neurons import GENERALIZING, MEMORIZING, class_counts, neuron_table
from rulesfacts.analysis.prune import DEFAULT_STEPS, ORDERS, prune_curve, prune_steps, pruning_summary
from rulesfacts.analysis.transformer import analyze_transformer
from rulesfacts.config import Choice, Config, Flag, Int, Many, Maybe, Real, param
from rulesfacts.errors import ConfigError
from rulesfacts.io import ensure_writable_dir, write_json, write_text
from rulesfacts.runtime import progress as progress_bar
from rulesfacts.training.rundir import Run, load_run

ANALYSIS_DIR = "analysis"


@dataclass(frozen=True)
class AnalyzeOptions(Config):
    """What to compute: IPR power r, points per pruning curve, pruning orders, snapshots."""

    r: float = param(2, Real(1.0, lo_open=True), "IPR power r (at r = 1 every vector has IPR 1).")
    steps: int | None = param(None, Maybe(Int(1), f"{DEFAULT_STEPS} points"), "Points per pruning curve.")
    orders: tuple[str, ...] = param(("low", "high"), Many(Choice(ORDERS)),
                                    "Pruning orders: lowest IPR first, highest first, random.")
    dynamics: bool = param(True, Flag(), "Analyse the weight snapshots over training too.")


Analyzer = Callable[[Run, Path, AnalyzeOptions, Callable[[int], None] | None], dict[str, Any]]


def analyze_run(run_dir: Path | str, options: AnalyzeOptions | None = None, progress: bool = False) -> dict[str, Any]:
    """Analyse a finished run folder; returns the summary (also written to analysis/summary.json)."""
    options = options or AnalyzeOptions()
    run = load_run(Path(run_dir))
    analyzer = ANALYZERS.get(analysis_kind(run.config))
    if analyzer is None:
        raise ConfigError("model", run.config.model,
                          f"one of {', '.join(sorted(ANALYZERS))} (no analysis registered for this model yet)")
    run.check_weights()  # a diverged or unfinished run: say so before any work
    ensure_writable_dir(run.path)  # fail before the work, without creating anything yet
    out_dir = run.path / ANALYSIS_DIR
    start = time.perf_counter()
    with progress_bar(_work(run, options), "analyze", progress) as advance:
        summary = analyzer(run, out_dir, options, advance)
    summary["seconds"] = round(time.perf_counter() - start, 2)
    write_json(out_dir / "summary.json", summary)
    return summary


def analysis_kind(cfg: Any) -> str:
    """The ``ANALYZERS`` key of a run: sparse parity and MLPs on dense inputs have no Fourier
    structure, so their analysis is per task ('parity', 'dense'); otherwise per model."""
    if cfg.task == "parity":
        return "parity"
    if cfg.model == "mlp" and cfg.task != "modular":
        return "dense"
    return cfg.model


def analyze_mlp(run: Run, out_dir: Path, options: AnalyzeOptions,
                advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Neuron table, pruning curves and snapshot dynamics of a two-layer MLP on modular data.
    Everything is computed before ``out_dir`` is created and the first file written."""
    from rulesfacts.analysis.plots import plot_dynamics, plot_neurons, plot_pruning

    cfg = run.config
    if cfg.task != "modular":
        raise ConfigError("task", cfg.task, "modular (the Fourier analysis reads inputs a, b and outputs mod p)")
    weights = run.weights()
    table = neuron_table(weights, cfg.p, options.r)
    counts = class_counts(table)
    curves = pd.concat([prune_curve(cfg, weights, o, options.steps, table=table, progress=advance)
                        for o in options.orders], ignore_index=True)
    dyn = run_dynamics(run, options.r, table.attrs["ipr_threshold"], progress=advance) if options.dynamics else None
    compare = compare_to_analytic(table)
    title = (f"p={cfg.p} N={cfg.width} α={cfg.train_frac} ξ={cfg.fact_frac} wd={cfg.wd} "
             f"epochs={run.summary.get('epochs')}")

    ensure_writable_dir(out_dir)
    files = {"neurons.csv": table, "pruning.csv": curves}
    if dyn is not None:
        files["dynamics.csv"] = dyn.table
    for name, df in files.items():
        write_text(out_dir / name, df.to_csv(index=False, float_format="%.6g"))
    plot_neurons(table, cfg.p, out_dir / "neurons.png", title)
    plot_pruning(curves, counts[f"n_{MEMORIZING}"], out_dir / "pruning.png", title)
    pngs = ["neurons.png", "pruning.png"]
    if dyn is not None and len(dyn.table):
        plot_dynamics(dyn, out_dir / "dynamics.png", title)
        pngs.append("dynamics.png")

    gen = compare[compare["label"] == GENERALIZING]
    freqs = table.loc[table["label"] == GENERALIZING, "freq_a"].value_counts()
    return {
        "model": cfg.model,
        "run_dir": str(run.path),
        "out_dir": str(out_dir),
        "r": options.r,
        "n_neurons": len(table),
        **counts,
        "ipr_threshold": table.attrs["ipr_threshold"],
        "ipr_median_generalizing": _median(table, GENERALIZING),
        "ipr_median_memorizing": _median(table, MEMORIZING),
        "frequencies": [int(f) for f in sorted(freqs.index)],
        "same_freq_generalizing": float(gen["same_freq"].iloc[0]) if len(gen) else None,
        "median_abs_phase_residual_generalizing": gen["median_abs_phase_residual"].iloc[0] if len(gen) else None,
        **pruning_summary(curves, counts[f"n_{MEMORIZING}"]),
        "n_snapshots": 0 if dyn is None else len(dyn.table),
        "files": sorted(files) + pngs + ["summary.json"],
    }


def _median(table: pd.DataFrame, label: str) -> float | None:
    v = table.loc[table["label"] == label, "ipr"]
    return float(np.median(v)) if len(v) else None


ANALYZERS: dict[str, Analyzer] = {"mlp": analyze_mlp, "transformer": analyze_transformer, "tied": analyze_transformer,
                                  "parity": analyze_parity_neurons, "dense": analyze_dense}


def _work(run: Run, options: AnalyzeOptions) -> int:
    """Units of progress: points of every pruning curve plus snapshots (the +1 is the mark at
    the number of memorizing neurons, an estimate: it may coincide with a grid point)."""
    snaps = len(run.snapshot_epochs()) if options.dynamics else 0
    if run.config.model != "mlp" or run.config.task != "modular":
        return max(snaps, 1)
    points = len(prune_steps(run.config.width, options.steps)) + 1
    return len(options.orders) * points + snaps


