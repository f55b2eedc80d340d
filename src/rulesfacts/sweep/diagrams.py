"""The phase map of a sweep, in one place: ``phase_cells`` turns the results table (one row per
run) into cells and ``plot_phase_diagram`` draws them. ``rulesfacts phase`` (PNG + CSV) and the
sweep report (HTML page and static figures) both use these two functions, so they show the same
phase in every cell.

Fields of the table:

- a *swept field* is a field that determines a run (``AXIS_FIELDS``: every TrainConfig field but
  ``extra`` and ``compile``, which do not enter a run's id) and takes more than one value in the
  table;
- a *replicate field* (``REPLICATE_FIELDS``: seed, data_seed) marks repeats of one experiment:
  its runs share a cell, and it is never an axis or a panel;
- x and y are the diagram's axes (``[diagram]`` of spec.toml; default α = train_frac, ξ = fact_frac).
  An axis that does not vary in the table is replaced by the first swept field left (so a sweep
  over other axes still draws a map). There is one panel per value of the other swept fields, or
  of the one ``panel`` field named (then the other swept fields are pooled in the cells).

A cell is one (panel values, x, y) point with at least one run: the majority phase of its runs,
``agreement`` (the share of its runs in that phase), ``tied`` (the phases that share the largest
count, when more than one does), ``n_runs``, the mean of each metric over its runs (missing
values skipped) and its run ids. The swept fields that are neither x, y nor a panel field are
*pooled*: their runs share a cell. The figure names them in its title ("pooled over lr, seed"),
hatches every cell whose runs disagree and writes the agreement in it, and draws a tied cell as
a tie (its own colour, "tie"), not as the phase the tie rule picks.

**Tie rule.** When several phases share the largest count, the cell takes the one that comes
first in ``PHASES``: coexistence, partial inversion, full inversion, memorization, forgetting,
confusion, no learning, generalization, grokking, diverged (the order of the phase tables in
docs/sweeps.md; any other label comes after these, alphabetically). The phase of a cell thus
depends only on the phases of its runs, never on their order in the table or on their run ids,
and a tied cell stays recognisable by its ``tied`` column (and in the figure).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.errors import ConfigError
from rulesfacts.io import write_text
from rulesfacts.sweep.phases import PHASES
from rulesfacts.sweep.spec import CONFIG_FIELDS, NOT_IN_RUN_ID, DiagramConfig

AXIS_FIELDS = tuple(f for f in CONFIG_FIELDS if f not in NOT_IN_RUN_ID)  # may be swept
REPLICATE_FIELDS = ("seed", "data_seed")  # repeats of one experiment: pooled in a cell, never an axis
# Metrics of a cell (column of results.sqlite → label), averaged over its runs; "phase" is the
# categorical one (majority).
METRICS = {
    "phase": "phase", "test_acc": "test accuracy", "train_acc": "train accuracy", "clean_acc": "clean train accuracy",
    "facts_memorized": "facts memorized", "facts_recovered": "facts recovered", "grok_delay": "grokking delay (epochs)",
    "epoch_test_99": "epoch test ≥ 99%", "epoch_train_99": "epoch train ≥ 99%", "test_loss": "test loss",
    "train_loss": "train loss", "seconds": "seconds",
}
AXIS_LABELS = {"train_frac": "training fraction α", "fact_frac": "corruption ξ", "wd": "weight decay"}
ALL_RUNS = "all runs"  # the label of the only panel when nothing is left to split on
UNKNOWN = "unknown"  # the phase of a run whose row has none


def swept_fields(table: pd.DataFrame) -> list[str]:
    """``AXIS_FIELDS`` that take more than one value in ``table``, in config order (replicate
    fields included: they are swept, but only ever pooled)."""
    return [n for n in AXIS_FIELDS if n in table.columns and table[n].astype(str).nunique() > 1]


def diagram_axes(table: pd.DataFrame, x: str = "train_frac", y: str = "fact_frac",
                 panel: str = "") -> tuple[str, str, list[str]]:
    """(x, y, panel fields) of ``table``'s phase map, by the rules of the module docstring."""
    for name, value in (("x", x), ("y", y), ("panel", panel)):
        if value and value not in table.columns:
            raise ConfigError(name, value, "a column of the results table (a TrainConfig field)")
    axes = [f for f in swept_fields(table) if f not in REPLICATE_FIELDS]
    if x not in axes:
        x = next((f for f in axes if f != y), x)
    if y not in axes:
        y = next((f for f in axes if f != x), y)
    if panel in axes and panel not in (x, y):
        return x, y, [panel]
    return x, y, [f for f in axes if f not in (x, y)]


def spec_diagram(sweep_dir: Path | str) -> DiagramConfig:
    """The ``[diagram]`` table of SWEEP_DIR/spec.toml (the defaults when the folder has none)."""
    from rulesfacts.sweep.runner import SPEC
    from rulesfacts.sweep.spec import load_spec

    path = Path(sweep_dir) / SPEC
    return load_spec(path).diagram if path.is_file() else DiagramConfig()


def phase_rank(phase: str) -> tuple[int, str]:
    """Sort key of the tie rule: position in ``PHASES``, other labels after them by name."""
    return (PHASES.index(phase), "") if phase in PHASES else (len(PHASES), phase)


def top_phases(phases: Iterable[Any]) -> tuple[list[str], float]:
    """The phases that share the largest count among a cell's runs (in ``PHASES`` order) and the
    share of the runs in each of them. A missing phase counts as "unknown"."""
    counts = Counter(UNKNOWN if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in phases)
    if not counts:
        raise ValueError("a cell needs at least one run")
    top = max(counts.values())
    return sorted((p for p, n in counts.items() if n == top), key=phase_rank), top / sum(counts.values())


def majority_phase(phases: Iterable[Any]) -> tuple[str, float]:
    """(phase, agreement) of a cell's runs: the most frequent phase, ties going to the phase
    first in ``PHASES``, and the share of the runs in it."""
    top, agreement = top_phases(phases)
    return top[0], agreement


TIE_SEPARATOR = " = "  # the ``tied`` column: "coexistence = memorization"


def pooled_fields(table: pd.DataFrame, keys: list[str]) -> list[str]:
    """The swept fields of ``table`` whose runs share a cell (not x, y or a panel field)."""
    return [f for f in swept_fields(table) if f not in keys]


def pooled_note(pooled: list[str], n_runs: pd.Series, verb: str = "pooled over") -> str:
    """"pooled over lr, seed (3 runs per cell)": what a cell averages over, for a figure's title."""
    lo, hi = int(n_runs.min()), int(n_runs.max())
    runs = f"{lo} run{'s' if lo != 1 else ''} per cell" if lo == hi else f"{lo}–{hi} runs per cell"
    return f"{verb} {', '.join(pooled)} ({runs})" if pooled else runs


def _check_column(table: pd.DataFrame, name: str) -> None:
    if name not in table.columns:
        raise ConfigError("metric", name, f"a column of the results table ({', '.join(map(str, table.columns))})")


def phase_cells(table: pd.DataFrame, x: str = "train_frac", y: str = "fact_frac", panel: str = "") -> pd.DataFrame:
    """The phase map of ``table`` (one row per run): one row per cell, sorted by panel, x, y.

    Columns: the panel fields, x, y, ``phase`` (majority, ties by ``PHASES`` order),
    ``agreement`` (share of the cell's runs in that phase), ``tied`` (the phases sharing the
    largest count joined by " = ", empty when one phase leads), ``n_runs``, the mean of every
    ``METRICS`` column the table has (NaN when no run has a value) and ``runs`` (the run ids, when
    the table has ``run_id``). ``attrs`` holds the axes as resolved by ``diagram_axes``: x, y and
    panels (a list), and ``pooled``: the swept fields averaged over in a cell (seeds included).
    """
    _check_column(table, "phase")
    x, y, panels = diagram_axes(table, x, y, panel)
    keys = [*panels, x, y]
    metrics = [m for m in METRICS if m != "phase" and m in table.columns]
    with_runs = "run_id" in table.columns
    rows = []
    for key, g in table.groupby(keys, sort=True, dropna=False):
        top, agreement = top_phases(g["phase"])
        row: dict[str, Any] = dict(zip(keys, key, strict=True))
        row |= {"phase": top[0], "agreement": agreement, "tied": TIE_SEPARATOR.join(top) if len(top) > 1 else "",
                "n_runs": len(g)}
        row |= {m: pd.to_numeric(g[m], errors="coerce").mean() for m in metrics}
        if with_runs:
            row["runs"] = g["run_id"].tolist()
        rows.append(row)
    columns = [*keys, "phase", "agreement", "tied", "n_runs", *metrics, *(["runs"] if with_runs else [])]
    cells = pd.DataFrame(rows, columns=columns)
    cells.attrs.update(x=x, y=y, panels=panels, pooled=pooled_fields(table, keys))
    return cells


def metric_cells(table: pd.DataFrame, metric: str, x: str = "train_frac", y: str = "fact_frac",
                 panel: str = "") -> pd.DataFrame:
    """One row per cell (the cells of ``phase_cells``): mean, standard deviation and count of any
    numeric column ``metric`` over the cell's runs; ``attrs`` as in ``phase_cells``."""
    _check_column(table, metric)
    if not pd.api.types.is_numeric_dtype(table[metric]):
        raise ConfigError("metric", metric, "a numeric column of the results table")
    x, y, panels = diagram_axes(table, x, y, panel)
    out = table.groupby([*panels, x, y], sort=True, dropna=False)[metric].agg(["mean", "std", "count"]).reset_index()
    cells = out.rename(columns={"mean": metric, "std": f"{metric}_std", "count": "n_runs"})
    cells.attrs.update(x=x, y=y, panels=panels, pooled=pooled_fields(table, [*panels, x, y]))
    return cells


def _fmt(v: object) -> str:
    return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def panel_label(values: dict[str, Any]) -> str:
    """"wd=5, dropout=0.1" for a panel's field values; ``ALL_RUNS`` when there are none."""
    return ", ".join(f"{k}={_fmt(v)}" for k, v in values.items()) or ALL_RUNS


def panel_groups(cells: pd.DataFrame,
                 panels: list[str] | None = None) -> list[tuple[str, dict[str, Any], pd.DataFrame]]:
    """(label, {panel field: value}, cells of the panel) per panel, in sorted order."""
    panels = cells.attrs["panels"] if panels is None else panels
    if not panels:
        return [(ALL_RUNS, {}, cells)]
    out = []
    for key, g in cells.groupby(panels, sort=True, dropna=False):
        values = dict(zip(panels, key if isinstance(key, tuple) else (key,), strict=True))
        out.append((panel_label(values), values, g))
    return out


def _grid(g: pd.DataFrame, x: str, y: str, value: str, xs: list, ys: list) -> np.ndarray:
    grid = np.full((len(ys), len(xs)), np.nan)
    xi, yi = {v: i for i, v in enumerate(xs)}, {v: i for i, v in enumerate(ys)}
    for xv, yv, v in zip(g[x], g[y], g[value], strict=True):
        grid[yi[yv], xi[xv]] = v
    return grid


def _ticks(ax: Any, x: str, y: str, xs: list, ys: list) -> None:
    step_x, step_y = max(1, len(xs) // 6), max(1, len(ys) // 6)
    ax.set_xticks(range(0, len(xs), step_x), [_fmt(v) for v in xs[::step_x]], fontsize=7)
    ax.set_yticks(range(0, len(ys), step_y), [_fmt(v) for v in ys[::step_y]], fontsize=7)
    ax.set_xlabel(AXIS_LABELS.get(x, x), fontsize=8)
    ax.set_ylabel(AXIS_LABELS.get(y, y), fontsize=8)


TIE = "tie"  # the label of tied cells in the figure
SPLIT_HATCH, TIE_HATCH = "///", "xx"


def plot_phase_diagram(cells: pd.DataFrame, path: Path | str, value: str = "phase", *, x: str | None = None,
                       y: str | None = None, panels: list[str] | None = None, title: str = "") -> Path:
    """Draw ``cells`` to ``path`` (format from the suffix): the figure of ``phase_figure``."""
    from rulesfacts.plotting import save_figure

    return save_figure(phase_figure(cells, value, x=x, y=y, panels=panels, title=title), Path(path))


def phase_figure(cells: pd.DataFrame, value: str = "phase", *, x: str | None = None, y: str | None = None,
                 panels: list[str] | None = None, title: str = "") -> Any:
    """The matplotlib figure of ``cells`` (``phase_cells`` or ``metric_cells``): one panel per
    value of the panel fields, x and y as in ``cells.attrs`` unless given, each cell coloured by
    its phase (``value="phase"``, colours of ``plotting.PHASE_COLORS``) or by the column ``value``
    (viridis; accuracies on [0, 1], other metrics on the range over all panels).

    The title names the pooled fields (``attrs["pooled"]``) and the runs per cell. On a phase map
    a cell whose runs disagree (agreement < 1) is hatched and shows the share of its runs in the
    phase drawn; a tied cell (``tied`` not empty) is drawn as a tie, cross-hatched and marked
    "tie", in no phase's colour."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch, Rectangle

    from rulesfacts.plotting import PHASE_COLORS, TIE_COLOR, plt

    x = x or cells.attrs["x"]
    y = y or cells.attrs["y"]
    groups = panel_groups(cells, cells.attrs["panels"] if panels is None else panels)
    xs, ys = sorted(cells[x].unique()), sorted(cells[y].unique())
    cols = min(len(groups), 4)
    rows = -(-len(groups) // cols)
    legend_in = 2.6 if value == "phase" else 1.6  # inches kept free on the right for the legend or colour bar
    width = 3.3 * cols + legend_in
    fig, axes = plt.subplots(rows, cols, figsize=(width, 3.2 * rows + 0.7), squeeze=False)
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    if value == "phase":
        tied = cells["tied"].fillna("").astype(str) != "" if "tied" in cells else pd.Series(False, cells.index)
        shown = cells["phase"].where(~tied, TIE)
        present = sorted(set(shown) - {TIE}, key=phase_rank) + ([TIE] if tied.any() else [])
        code = {p: i for i, p in enumerate(present)}
        colors = [TIE_COLOR if p == TIE else PHASE_COLORS.get(p, "#ffffff") for p in present]
        style = {"cmap": ListedColormap(colors), "vmin": -0.5, "vmax": len(present) - 0.5}
        cells = cells.assign(_value=shown.map(code), _tied=tied)
    else:
        _check_column(cells, value)
        cells = cells.assign(_value=pd.to_numeric(cells[value], errors="coerce"))
        finite = cells["_value"].dropna()
        lo, hi = (0.0, 1.0) if value.endswith(("_acc", "memorized", "recovered")) or not len(finite) else \
            (float(finite.min()), float(finite.max()))
        style = {"cmap": "viridis", "vmin": lo, "vmax": hi}
    head = title or ("phase per cell" if value == "phase" else f"mean {value} per cell")
    note = pooled_note(list(cells.attrs.get("pooled", [])), cells["n_runs"],
                       "pooled over" if value == "phase" else "mean over") if "n_runs" in cells else ""
    fig.suptitle(f"{head}\n{note}" if note else head, fontsize=10)
    image = None
    for ax, (label, _, g) in zip(axes.flat, groups, strict=False):
        g = cells.loc[g.index]
        image = ax.imshow(_grid(g, x, y, "_value", xs, ys), origin="lower", aspect="auto", interpolation="nearest",
                          **style)
        ax.set_title(label, fontsize=9)
        _ticks(ax, x, y, xs, ys)
        if value == "phase":
            _mark_split_cells(ax, g, x, y, xs, ys, Rectangle)
    if value == "phase":
        handles = [Patch(facecolor=c, edgecolor="#444444", hatch=TIE_HATCH if p == TIE else None,
                         label="tie (runs split evenly)" if p == TIE else p)
                   for p, c in zip(present, colors, strict=True)]
        if (cells["agreement"] < 1).any():
            handles.append(Patch(facecolor="#ffffff", edgecolor="#444444", hatch=SPLIT_HATCH,
                                 label="split: % of runs in the phase drawn"))
        fig.legend(handles=handles, loc="center right", fontsize=8)
        fig.tight_layout(rect=(0, 0, 1 - legend_in / width, 1))
    else:
        fig.tight_layout(rect=(0, 0, 0.9, 1))
        if image is not None:
            fig.colorbar(image, cax=fig.add_axes((0.92, 0.15, 0.015, 0.7)), label=METRICS.get(value, value))
    return fig


def _mark_split_cells(ax: Any, g: pd.DataFrame, x: str, y: str, xs: list, ys: list, rectangle: Any) -> None:
    """Hatch each cell of ``g`` whose runs disagree and write its agreement ("tie" for a tie)."""
    xi, yi = {v: i for i, v in enumerate(xs)}, {v: i for i, v in enumerate(ys)}
    small = max(len(xs), len(ys)) > 12
    for _, c in g[g["agreement"] < 1].iterrows():
        i, j = xi[c[x]], yi[c[y]]
        ax.add_patch(rectangle((i - 0.5, j - 0.5), 1, 1, fill=False, hatch=TIE_HATCH if c["_tied"] else SPLIT_HATCH,
                               edgecolor="#333333", linewidth=0, gid="split-cell"))
        text = TIE if c["_tied"] else f"{100 * c['agreement']:.0f}%"
        ax.text(i, j, text, ha="center", va="center", fontsize=5 if small else 7, color="#000000",
                bbox={"boxstyle": "round,pad=0.1", "facecolor": "#ffffff", "edgecolor": "none", "alpha": 0.8},
                gid="split-label")


def write_phase_map(table: pd.DataFrame, path: Path | str, x: str = "train_frac", y: str = "fact_frac",
                    panel: str = "", title: str = "") -> dict[str, Any]:
    """``rulesfacts phase``: the phase map of ``table`` as ``path`` (PNG) and ``path`` with .csv
    (the cells, run ids left out); returns the summary it prints."""
    cells = phase_cells(table, x, y, panel)
    png = plot_phase_diagram(cells, path, title=title)
    csv = png.with_suffix(".csv")
    write_text(csv, cells.drop(columns="runs", errors="ignore").to_csv(index=False))
    counts = {label: dict(sorted(Counter(g["phase"].where(g["tied"] == "", TIE)).items()))
              for label, _, g in panel_groups(cells)}  # a tied cell counts as a tie, not as a phase
    return {"png": str(png), "csv": str(csv), "panels": counts, "x": cells.attrs["x"], "y": cells.attrs["y"],
            "panel": cells.attrs["panels"], "pooled": cells.attrs["pooled"], "cells": len(cells),
            "split_cells": int((cells["agreement"] < 1).sum()), "tied_cells": int((cells["tied"] != "").sum())}


def write_metric_map(table: pd.DataFrame, metric: str, path: Path | str, x: str = "train_frac",
                     y: str = "fact_frac", panel: str = "", title: str = "") -> dict[str, Any]:
    """``rulesfacts phase --metric``: the mean of ``metric`` per cell as ``path`` (PNG) and its CSV."""
    cells = metric_cells(table, metric, x, y, panel)
    png = plot_phase_diagram(cells, path, metric, title=title)
    csv = png.with_suffix(".csv")
    write_text(csv, cells.to_csv(index=False))
    finite = cells[metric].dropna()
    return {"png": str(png), "csv": str(csv), "metric": metric, "x": cells.attrs["x"], "y": cells.attrs["y"],
            "panel": cells.attrs["panels"], "pooled": cells.attrs["pooled"],
            "mean": None if not len(finite) else float(finite.mean())}
