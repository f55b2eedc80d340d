"""Several runs side by side: an index of the runs under a folder (what differs in their configs,
what came out) and their curves overlaid.

``rulesfacts runs DIR`` prints ``runs_table(find_runs(DIR))``; ``rulesfacts compare RUN...`` (or
``--sweep DIR --where wd=5``, the runs of a sweep's table that match) adds ``plot_compare``.
A run's outcome is its summary (status, phase from ``phases.classify``, final accuracies); an
unfinished run shows its last logged row and its state (running / interrupted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import pandas as pd

from rulesfacts.config import declarations
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.io import read_json
from rulesfacts.plotting import plt, save_figure
from rulesfacts.sweep.phases import classify
from rulesfacts.sweep.store import load_results
from rulesfacts.training import rundir

OUTCOMES = ("status", "phase", "epochs", "train_acc", "test_acc", "facts_memorized", "facts_recovered")
# In a table the epochs a run trained (a diverged run stops early) sit beside its config's epochs.
TRAINED = "trained"
CURVES = ("test_acc", "facts_memorized", "train_acc", "facts_recovered", "clean_acc", "train_loss", "test_loss")
# What the curves are called on the axes (the subset names of docs/modular-arithmetic.md).
CURVE_LABELS = {"test_acc": "test accuracy", "facts_memorized": "facts memorized", "train_acc": "train accuracy",
                "facts_recovered": "facts recovered", "clean_acc": "clean train accuracy",
                "train_loss": "train loss", "test_loss": "test loss"}


def find_runs(root: Path | str) -> list[Path]:
    """Every run folder (a folder with config.json and metrics.csv) at or under ``root``, sorted."""
    root = Path(root)
    if not root.is_dir():
        raise DataFileError(root, "not a folder (expected a folder of run folders)")
    found = {c.parent for c in root.rglob(rundir.CONFIG) if (c.parent / rundir.METRICS).is_file()}
    return sorted(found)


def parse_where(items: Sequence[str]) -> dict[str, str]:
    """``key=value`` filters on a sweep table's columns."""
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError("where", item, "key=value, e.g. wd=5 or fact_frac=0.35")
        out[key.strip().replace("-", "_")] = value.strip()
    return out


def _matches(column: pd.Series, value: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(column):
        return column == (value.lower() in ("1", "true", "yes"))
    if pd.api.types.is_numeric_dtype(column):
        try:
            return column == float(value)
        except ValueError:
            raise ConfigError(column.name, value, "a number (the column is numeric)") from None
    return column.astype(str) == value


def sweep_runs(sweep_dir: Path | str, where: dict[str, str]) -> list[Path]:
    """The run folders of a sweep whose table rows match every ``where`` filter."""
    sweep_dir = Path(sweep_dir)
    df = load_results(sweep_dir)
    for key, value in where.items():
        if key not in df.columns:
            allowed = ", ".join(f.name for f in fields(TrainConfig) if f.name != "extra")
            raise ConfigError("where", f"{key}={value}", f"a column of the sweep table: {allowed}, phase, ...")
        df = df[_matches(df[key], value)]
    if df.empty:
        raise ConfigError("where", " ".join(f"{k}={v}" for k, v in where.items()),
                          f"filters that match at least one of the runs in {sweep_dir}")
    return [sweep_dir / d for d in df["run_dir"]]


def outcome(run: rundir.Run) -> dict[str, Any]:
    """Status, phase and final metrics of a run (an unfinished one: its last logged row)."""
    summary = dict(run.summary)
    if not run.metrics.empty and summary.get("test_acc") is None and not run.diverged:
        last = run.metrics.iloc[-1]
        summary |= {k: float(last[k]) for k in OUTCOMES if k in last and pd.notna(last[k])}
        summary["epochs"] = int(last["epoch"])
    summary["phase"] = classify(summary)
    return {(TRAINED if k == "epochs" else k): summary.get(k) for k in OUTCOMES}


def runs_table(paths: Sequence[Path], root: Path | None = None) -> tuple[pd.DataFrame, list[str]]:
    """One row per run: its folder (relative to ``root`` when given), the config fields that
    differ between the runs, its parent (a branched run), and its outcome (``trained``: the
    epochs it trained). Also returns the differing fields' names."""
    runs = [rundir.load_run(p) for p in paths]
    if not runs:
        raise DataFileError(Path("."), "no run folders to compare (none found)")
    decl = declarations(TrainConfig)
    configs = [r.config.to_dict() for r in runs]
    differ = [k for k in decl if k != "extra" and len({repr(c.get(k)) for c in configs}) > 1]
    rows = []
    for r, c in zip(runs, configs, strict=True):
        parent = read_json(r.path / rundir.PARENT) if (r.path / rundir.PARENT).is_file() else None
        name = r.path.relative_to(root) if root is not None and r.path.is_relative_to(root) else r.path
        rows.append({"run": str(name), **{k: c[k] for k in differ},
                     "parent": f"{Path(parent['parent']).name}@{parent['epoch']}" if parent else None,
                     **outcome(r)})
    df = pd.DataFrame(rows)
    if df["parent"].isna().all():
        df = df.drop(columns="parent")
    return df, differ


def run_label(row: pd.Series, differ: Sequence[str]) -> str:
    """A run's name in a legend: its folder name and the fields that set it apart."""
    return " ".join([Path(row["run"]).name, *(f"{k}={row[k]}" for k in differ)])


def plot_compare(paths: Sequence[Path], table: pd.DataFrame, differ: Sequence[str], curves: Sequence[str],
                 path: Path) -> Path:
    """One panel per curve, one line per run; a dotted line marks where a branched run left its parent."""
    bad = [c for c in curves if c not in CURVES]
    if bad:
        raise ConfigError("curve", bad[0], f"one of {', '.join(CURVES)}")
    fig, axes = plt.subplots(1, len(curves), figsize=(4.6 * len(curves), 3.6), squeeze=False)
    for p, (_, row) in zip(paths, table.iterrows(), strict=True):
        m = rundir.read_metrics(p)
        parent = read_json(p / rundir.PARENT) if (p / rundir.PARENT).is_file() else None
        for ax, name in zip(axes[0], curves, strict=True):
            if name in m.columns:
                line, = ax.plot(m["epoch"], m[name], label=run_label(row, differ), lw=1.4)
                if parent is not None:  # where the branch left its parent
                    ax.axvline(parent["epoch"], color=line.get_color(), ls=":", lw=1)
    for ax, name in zip(axes[0], curves, strict=True):
        ax.set_title(CURVE_LABELS[name])
        ax.set_xlabel("epoch")
        if name.endswith("_acc") or name.startswith("facts_"):
            ax.set_ylim(-0.02, 1.02)
        if name.endswith("_loss"):
            ax.set_yscale("log")
    axes[0][0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    return save_figure(fig, path)
