"""The data of a sweep report: phase diagrams as clickable grids, and every run's curves and spectra.

The cells are those of ``rulesfacts phase``: ``sweep.diagrams.phase_cells`` on the results table,
with the axes of the sweep's ``[diagram]`` (default α = train_frac, ξ = fact_frac) and one panel per
value of the remaining swept axes (the regularizer: wd, l1, dropout, ...). Seeds are replicates: a
cell holds all of them, shows their majority phase (ties by the fixed phase order of
``sweep.diagrams``), its agreement and the mean of each metric, and lists its runs.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.config import Config, Flag, Int, param
from rulesfacts.errors import DataFileError
from rulesfacts.plotting import CLASS_COLORS, PART_COLORS, PHASE_COLORS, TIE_COLOR
from rulesfacts.report.encode import even_indices, rounded
from rulesfacts.report.run_report import ACC_CURVES, curve_series, spectrum_power
from rulesfacts.report.task_views import shuffled_columns
from rulesfacts.sweep.diagrams import METRICS, panel_groups, phase_cells, spec_diagram, swept_fields
from rulesfacts.sweep.phases import PHASES

SHORT_LOSSES = (("train", "train_loss"), ("test", "test_loss"))
HELP = {
    "grid": "One panel per value of the regularizer (the swept axes besides x and y). Each cell is one point "
            "of the sweep, coloured by its phase or by the chosen metric (mean over seeds). Click a cell to "
            "see its run.",
    "detail": "The clicked run: accuracy per subset over training; for a modular-arithmetic MLP, the Fourier "
              "power of its final weights (inputs a, b and outputs) against the same weights in shuffled token "
              "order (black line), and the IPR split of its neurons with the generalizing ones counted per "
              "frequency. Summed bars near the shuffled baseline do not mean memorization: a net that spreads its "
              "rule neurons over many frequencies sums to a flat spectrum too; the neuron counts tell the two "
              "apart. 'full report' opens the run's own report when its folder has one.",
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


def cell_entry(cell: pd.Series, x: str, y: str, xs: list[Any], ys: list[Any]) -> dict[str, Any]:
    """One cell of ``phase_cells`` as the page shows it: grid position, runs, phase, agreement,
    run count and the mean of each metric the table has (None when no run has a value)."""
    out: dict[str, Any] = {"xi": xs.index(_value(cell[x])), "yi": ys.index(_value(cell[y])), "runs": list(cell["runs"]),
                           "phase": cell["phase"], "agreement": rounded(cell["agreement"]),
                           "tied": str(cell.get("tied", "")), "n_runs": int(cell["n_runs"])}
    out |= {m: rounded(cell[m]) for m in METRICS if m != "phase" and m in cell.index}
    return out


def neuron_split(w: dict[str, np.ndarray], p: int) -> dict[str, Any]:
    """The final net's IPR split (``analysis.neurons.neuron_table``): counts per class, the
    threshold, and the generalizing neurons per dominant frequency."""
    from rulesfacts.analysis.fourier import frequency_histogram
    from rulesfacts.analysis.neurons import neuron_table

    t = neuron_table(w, p)
    gen = t["label"].to_numpy() == "generalizing"
    return {"n_generalizing": int(gen.sum()), "n_memorizing": int((~gen).sum()),
            "ipr_threshold": rounded(t.attrs["ipr_threshold"]),
            "freq_counts": frequency_histogram(t["freq_a"].to_numpy()[gen], p).astype(int).tolist()}


def run_entry(sweep_dir: Path, row: pd.Series, fields: list[str], points: int, spectra: bool,
              link_from: Path | None = None) -> dict[str, Any]:
    """One run of the sweep: its swept values, final metrics, thinned curves, final spectra (with
    the shuffled-order baseline), its neurons' IPR split, and a link to the run's report
    (relative to ``link_from``, the folder of the sweep report) when its run folder exists."""
    from rulesfacts.training.rundir import read_config, read_metrics, read_weights

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
    if run_dir.is_dir():
        target = run_dir / "report.html"
        try:
            href = (os.path.relpath(target.resolve(), Path(link_from).resolve()) if link_from is not None
                    else str(target))
        except ValueError:  # another drive (Windows): an absolute path
            href = target.resolve().as_uri()
        entry["report"] = {"href": Path(href).as_posix(), "exists": target.is_file(), "run_dir": str(run_dir)}
    weights_path = run_dir / "weights.npz"
    p = int(row["p"])
    if spectra and row.get("task") == "modular" and row.get("model") == "mlp" and weights_path.is_file():
        w = read_weights(weights_path, read_config(run_dir))
        if w["W_in"].shape[1] == 2 * p:
            parts = (w["W_in"][:, :p], w["W_in"][:, p:], w["W_out"].T)
            entry["spectrum"] = spectrum_power(parts)
            entry["spectrum_shuffled"] = spectrum_power(tuple(shuffled_columns(x) for x in parts))
            entry["neurons"] = neuron_split(w, p)
    return entry


def sweep_report_data(sweep_dir: Path | str, opts: SweepReportOptions | None = None,
                      on_run: Callable[[], None] | None = None, link_from: Path | None = None) -> dict[str, Any]:
    """Everything the sweep page shows, as one JSON-ready dict (``on_run`` ticks a progress bar;
    ``link_from``: the folder the page is written to, for the relative links to run reports)."""
    from rulesfacts.sweep.store import load_results

    opts = opts or SweepReportOptions()
    sweep_dir = Path(sweep_dir)
    df = load_results(sweep_dir)
    if df.empty:
        raise DataFileError(sweep_dir / "results.sqlite", "the sweep has no finished runs yet")
    d = spec_diagram(sweep_dir)
    cells = phase_cells(df, d.x, d.y, d.panel)
    x, y, panel_fields = cells.attrs["x"], cells.attrs["y"], cells.attrs["panels"]
    xs, ys = _sorted_values(df[x]), _sorted_values(df[y])
    shown = list(dict.fromkeys([x, y, *panel_fields, *swept_fields(df)]))
    panels = [{"label": label, "values": {f: _value(v) for f, v in values.items()},
               "cells": [cell_entry(c, x, y, xs, ys) for _, c in g.iterrows()]}
              for label, values, g in panel_groups(cells)]
    points = opts.points_per_run(len(df))
    runs = {}
    for _, row in df.iterrows():
        runs[row["run_id"]] = run_entry(sweep_dir, row, shown, points, opts.spectra, link_from)
        if on_run:
            on_run()
    present = [m for m in METRICS if m == "phase" or (m in df and pd.to_numeric(df[m], errors="coerce").notna().any())]
    return {"kind": "sweep", "title": f"rulesfacts sweep: {sweep_dir.resolve().name}", "n_runs": int(len(df)),
            "x": {"name": x, "values": xs}, "y": {"name": y, "values": ys}, "panel_fields": panel_fields,
            "pooled": cells.attrs["pooled"],
            "panels": panels, "metrics": {m: METRICS[m] for m in present},
            "phase_colors": {k: PHASE_COLORS[k] for k in PHASES}, "tie_color": TIE_COLOR, "runs": runs, "help": HELP,
            "part_colors": list(PART_COLORS), "class_colors": CLASS_COLORS,
            "phase_counts": dict(sorted(Counter(df["phase"]).items()))}

