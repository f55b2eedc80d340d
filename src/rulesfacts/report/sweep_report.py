"""The data of a sweep report: phase diagrams as clickable grids, and every run's curves and spectra.

Cells are the (x, y) points of the sweep's diagram axes (``[diagram]`` in its spec.toml; default
α = train_frac and ξ = corrupt), one panel per value of the remaining swept axes (the
regularizer: wd, l1, dropout, ...). Seeds are replicates: a cell holds all of them, shows the most
common phase and the mean of a metric, and lists its runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.config import Config, Flag, Int, param
from rulesfacts.errors import DataFileError
from rulesfacts.report.encode import even_indices, rounded
from rulesfacts.report.run_report import ACC_CURVES, PART_COLORS, curve_series, spectrum_power
from rulesfacts.train.config import TrainConfig

REPLICATE_FIELDS = ("seed", "data_seed")
NOT_AXES = ("device", "extra", "betas")
# Metrics a heatmap can show (column of results.sqlite → label); "phase" is categorical.
METRICS = {
    "phase": "phase", "test_acc": "test accuracy", "train_acc": "train accuracy", "clean_acc": "clean train accuracy",
    "facts_memorized": "facts memorized", "facts_recovered": "facts recovered", "grok_delay": "grokking delay (epochs)",
    "epoch_test_99": "epoch test ≥ 99%", "epoch_train_99": "epoch train ≥ 99%", "test_loss": "test loss",
    "train_loss": "train loss", "seconds": "seconds",
}
SHORT_LOSSES = (("train", "train_loss"), ("test", "test_loss"))
HELP = {
    "grid": "One panel per value of the regularizer (the swept axes besides x and y). Each cell is one point "
            "of the sweep, coloured by its phase or by the chosen metric (mean over seeds). Click a cell to "
            "see its run.",
    "detail": "The clicked run: accuracy per subset over training, and the Fourier power of its final weights "
              "(inputs a, b and outputs). A few tall bars: the net computes the rule with those frequencies; "
              "a flat spectrum: it memorizes.",
}


@dataclass(frozen=True)
class SweepReportOptions(Config):
    """Size knobs: curve points per run are ``budget_points`` shared over the runs, clamped."""

    budget_points: int = param(60_000, Int(2), "Curve points of all runs together.")
    min_points: int = param(20, Int(2), "Fewest curve points per run (≤ max_points).")
    max_points: int = param(200, Int(2), "Most curve points per run.")
    spectra: bool = param(True, Flag(), "Include each run's Fourier spectrum.")

    def check_together(self) -> None:
        if self.min_points > self.max_points:
            raise self.reject("min_points", f"≤ max_points = {self.max_points}")

    def points_per_run(self, n_runs: int) -> int:
        return int(np.clip(self.budget_points // max(n_runs, 1), self.min_points, self.max_points))


def config_fields() -> list[str]:
    return [f for f in TrainConfig.__dataclass_fields__ if f not in NOT_AXES]


def varying_fields(df: pd.DataFrame) -> list[str]:
    """TrainConfig columns that take more than one value across the sweep, in config order."""
    return [c for c in config_fields() if c in df and df[c].astype(str).nunique() > 1]


def diagram_axes(sweep_dir: Path, df: pd.DataFrame) -> tuple[str, str, list[str]]:
    """(x, y, panel fields): the spec's ``[diagram]`` when it names swept axes, else the varying
    fields in order; replicate seeds never make a panel."""
    x, y, panel = "train_frac", "corrupt", ""
    spec_path = sweep_dir / "spec.toml"
    if spec_path.is_file():
        from rulesfacts.sweep.spec import load_spec

        d = load_spec(spec_path).diagram
        x, y, panel = d.x, d.y, d.panel
    varying = varying_fields(df)
    axes = [f for f in varying if f not in REPLICATE_FIELDS]
    if x not in axes:
        x = next((f for f in axes if f != y), x)
    if y not in axes:
        y = next((f for f in axes if f != x), y)
    panels = [panel] if panel in axes and panel not in (x, y) else [f for f in axes if f not in (x, y)]
    return x, y, panels


def _value(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return rounded(v, 6)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _sorted_values(series: pd.Series) -> list[Any]:
    vals = [_value(v) for v in series.dropna().unique()]
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=str)


def cell_metrics(rows: pd.DataFrame) -> dict[str, Any]:
    """Most common phase and the mean of each numeric metric over a cell's runs (None if none)."""
    out: dict[str, Any] = {"phase": Counter(rows["phase"]).most_common(1)[0][0] if "phase" in rows else None}
    for m in METRICS:
        if m == "phase" or m not in rows:
            continue
        v = pd.to_numeric(rows[m], errors="coerce").dropna()
        out[m] = rounded(v.mean()) if len(v) else None
    return out


def run_entry(sweep_dir: Path, row: pd.Series, fields: list[str], points: int, spectra: bool) -> dict[str, Any]:
    """One run of the sweep: its swept values, final metrics, thinned curves and final spectra."""
    from rulesfacts.train.rundir import load_npz, read_metrics

    entry: dict[str, Any] = {"id": row["run_id"], "values": {f: _value(row[f]) for f in fields},
                             "phase": row.get("phase"), "status": row.get("status"),
                             "final": {m: rounded(row[m]) for m in METRICS if m != "phase" and m in row
                                       and pd.notna(row[m])}}
    run_dir = sweep_dir / str(row.get("run_dir") or f"runs/{row['run_id']}")
    try:
        df = read_metrics(run_dir)
    except DataFileError:
        df = None
    if df is not None:
        rows = even_indices(len(df), points)
        entry["curves"] = {"epoch": [int(e) for e in df["epoch"].to_numpy()[rows]],
                           "acc": curve_series(df, ACC_CURVES, rows), "loss": curve_series(df, SHORT_LOSSES, rows)}
    weights_path = run_dir / "weights.npz"
    p = int(row["p"])
    if spectra and row.get("task") == "modular" and row.get("model") == "mlp" and weights_path.is_file():
        w = load_npz(weights_path)
        if w["W_in"].shape[1] == 2 * p:
            entry["spectrum"] = spectrum_power((w["W_in"][:, :p], w["W_in"][:, p:], w["W_out"].T))
    return entry


def sweep_report_data(sweep_dir: Path | str, opts: SweepReportOptions | None = None,
                      on_run: Callable[[], None] | None = None) -> dict[str, Any]:
    """Everything the sweep page shows, as one JSON-ready dict (``on_run`` ticks a progress bar)."""
    from rulesfacts.sweep.phases import PHASE_COLORS, PHASES
    from rulesfacts.sweep.store import load_results

    opts = opts or SweepReportOptions()
    sweep_dir = Path(sweep_dir)
    df = load_results(sweep_dir)
    if df.empty:
        raise DataFileError(sweep_dir / "results.sqlite", "the sweep has no finished runs yet")
    x, y, panel_fields = diagram_axes(sweep_dir, df)
    xs, ys = _sorted_values(df[x]), _sorted_values(df[y])
    shown = list(dict.fromkeys([x, y, *panel_fields, *varying_fields(df)]))
    keys = df[panel_fields].astype(str).agg("|".join, axis=1) if panel_fields else pd.Series([""] * len(df))
    panels = []
    for key in sorted(keys.unique(), key=lambda k: [_num_key(v) for v in k.split("|")]):
        sub = df[keys.to_numpy() == key]
        label = "  ".join(f"{f}={_label(_value(sub[f].iloc[0]))}" for f in panel_fields) or "all runs"
        cells = []
        for (xv, yv), rows in sub.groupby([x, y], sort=True):
            cells.append({"xi": xs.index(_value(xv)), "yi": ys.index(_value(yv)),
                          "runs": rows["run_id"].tolist(), **cell_metrics(rows)})
        panels.append({"label": label, "cells": cells})
    points = opts.points_per_run(len(df))
    runs = {}
    for _, row in df.iterrows():
        runs[row["run_id"]] = run_entry(sweep_dir, row, shown, points, opts.spectra)
        if on_run:
            on_run()
    present = [m for m in METRICS if m == "phase" or (m in df and pd.to_numeric(df[m], errors="coerce").notna().any())]
    return {"kind": "sweep", "title": f"rulesfacts sweep: {sweep_dir.resolve().name}", "n_runs": int(len(df)),
            "x": {"name": x, "values": xs}, "y": {"name": y, "values": ys}, "panel_fields": panel_fields,
            "panels": panels, "metrics": {m: METRICS[m] for m in present},
            "phase_colors": {k: PHASE_COLORS[k] for k in PHASES}, "runs": runs, "help": HELP,
            "part_colors": list(PART_COLORS),
            "phase_counts": dict(sorted(Counter(df["phase"]).items()))}


def _label(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _num_key(v: str) -> tuple[int, Any]:
    try:
        return (0, float(v))
    except ValueError:
        return (1, v)
