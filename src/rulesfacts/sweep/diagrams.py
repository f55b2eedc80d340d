"""Phase diagrams (α × ξ coloured by phase, one panel per value of the other swept axes) and
heatmaps of any metric, as PNG plus the CSV they were drawn from.

Several runs in one cell (seeds) are summarised by the most frequent phase, or the mean metric.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

from rulesfacts.errors import ConfigError
from rulesfacts.io import write_text
from rulesfacts.sweep.phases import PHASE_COLORS, PHASES
from rulesfacts.sweep.spec import CONFIG_FIELDS
from rulesfacts.train.config import TrainConfig

REPLICATE_FIELDS = ("seed", "data_seed")  # never panels: they are averaged over
AXIS_LABELS = {"train_frac": "training fraction α", "corrupt": "corruption ξ", "wd": "weight decay"}


def swept_fields(df: pd.DataFrame) -> list[str]:
    """Config columns that take more than one value in the table (the sweep's axes)."""
    return [n for n in CONFIG_FIELDS if n in df.columns and df[n].astype(str).nunique() > 1]


def panel_fields(df: pd.DataFrame, x: str, y: str, panel: str = "") -> list[str]:
    if panel:
        return [panel]
    return [n for n in swept_fields(df) if n not in (x, y, *REPLICATE_FIELDS)]


def _check(df: pd.DataFrame, *cols: str) -> None:
    for c in cols:
        if c not in df.columns:
            raise ConfigError("axis" if c in {f.name for f in fields(TrainConfig)} else "metric", c,
                              f"a column of the results table ({', '.join(df.columns)})")


def phase_cells(df: pd.DataFrame, x: str, y: str, panels: list[str]) -> pd.DataFrame:
    """One row per (panel…, x, y) cell: the most frequent phase, its share and the run count."""
    _check(df, x, y, "phase", *panels)
    keys = [*panels, x, y]

    def summarise(g: pd.DataFrame) -> pd.Series:
        counts = g["phase"].value_counts()
        top = sorted(counts.index[counts == counts.max()], key=PHASES.index)[0]  # ties: a fixed order
        return pd.Series({"phase": top, "agreement": counts.max() / len(g), "n_runs": len(g)})

    return df.groupby(keys, sort=True).apply(summarise, include_groups=False).reset_index()


def metric_cells(df: pd.DataFrame, metric: str, x: str, y: str, panels: list[str]) -> pd.DataFrame:
    """One row per cell: mean and standard deviation of ``metric`` over the runs in it."""
    _check(df, x, y, metric, *panels)
    if not pd.api.types.is_numeric_dtype(df[metric]):
        raise ConfigError("metric", metric, "a numeric column of the results table")
    out = df.groupby([*panels, x, y], sort=True)[metric].agg(["mean", "std", "count"]).reset_index()
    return out.rename(columns={"mean": metric, "std": f"{metric}_std", "count": "n_runs"})


def _panel_groups(cells: pd.DataFrame, panels: list[str]) -> list[tuple[str, pd.DataFrame]]:
    if not panels:
        return [("", cells)]
    out = []
    for key, g in cells.groupby(panels, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        out.append((", ".join(f"{p}={_fmt(v)}" for p, v in zip(panels, key, strict=True)), g))
    return out


def _fmt(v: object) -> str:
    return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def _grid(g: pd.DataFrame, x: str, y: str, value: str, xs: list, ys: list) -> np.ndarray:
    grid = np.full((len(ys), len(xs)), np.nan)
    xi, yi = {v: i for i, v in enumerate(xs)}, {v: i for i, v in enumerate(ys)}
    for _, r in g.iterrows():
        grid[yi[r[y]], xi[r[x]]] = r[value]
    return grid


def _axes(n: int, title: str):  # noqa: ANN202 - matplotlib figure and axes
    import matplotlib.pyplot as plt

    cols = min(n, 4)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols + 1.6, 3.2 * rows + 0.5), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=10)
    return fig, list(axes.flat[:n])


def _ticks(ax, x: str, y: str, xs: list, ys: list) -> None:  # noqa: ANN001
    step_x, step_y = max(1, len(xs) // 6), max(1, len(ys) // 6)
    ax.set_xticks(range(0, len(xs), step_x), [_fmt(v) for v in xs[::step_x]], fontsize=7)
    ax.set_yticks(range(0, len(ys), step_y), [_fmt(v) for v in ys[::step_y]], fontsize=7)
    ax.set_xlabel(AXIS_LABELS.get(x, x), fontsize=8)
    ax.set_ylabel(AXIS_LABELS.get(y, y), fontsize=8)


def plot_phase_diagram(df: pd.DataFrame, path: Path | str, x: str = "train_frac", y: str = "corrupt",
                       panel: str = "", title: str = "") -> dict[str, object]:
    """Write ``path`` (PNG) and ``path`` with .csv: the phase of every (panel, x, y) cell."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from rulesfacts.report.plots import save_figure

    panels = panel_fields(df, x, y, panel)
    cells = phase_cells(df, x, y, panels)
    xs, ys = sorted(cells[x].unique()), sorted(cells[y].unique())
    present = [p for p in PHASES if p in set(cells["phase"])]
    cmap = ListedColormap([PHASE_COLORS[p] for p in present])
    code = {p: i for i, p in enumerate(present)}
    cells["code"] = cells["phase"].map(code)
    groups = _panel_groups(cells, panels)
    fig, axes = _axes(len(groups), title or "phase per cell")
    for ax, (label, g) in zip(axes, groups, strict=True):
        grid = _grid(g, x, y, "code", xs, ys)
        ax.imshow(grid, origin="lower", cmap=cmap, vmin=-0.5, vmax=len(present) - 0.5, aspect="auto",
                  interpolation="nearest")
        ax.set_title(label, fontsize=9)
        _ticks(ax, x, y, xs, ys)
    fig.legend(handles=[Patch(color=PHASE_COLORS[p], label=p) for p in present], loc="center right", fontsize=8)
    fig.tight_layout(rect=(0, 0, 0.84, 1))
    png = save_figure(fig, Path(path))
    csv = png.with_suffix(".csv")
    write_text(csv, cells.drop(columns="code").to_csv(index=False))
    counts = {label or "all": dict(sorted(g["phase"].value_counts().items())) for label, g in groups}
    return {"png": str(png), "csv": str(csv), "panels": counts, "x": x, "y": y, "panel": panels}


def plot_metric_heatmap(df: pd.DataFrame, metric: str, path: Path | str, x: str = "train_frac",
                        y: str = "corrupt", panel: str = "", title: str = "") -> dict[str, object]:
    """Write a heatmap of the mean ``metric`` per cell (PNG) and its CSV."""
    from rulesfacts.report.plots import save_figure

    panels = panel_fields(df, x, y, panel)
    cells = metric_cells(df, metric, x, y, panels)
    xs, ys = sorted(cells[x].unique()), sorted(cells[y].unique())
    groups = _panel_groups(cells, panels)
    finite = cells[metric].dropna()
    lo, hi = (0.0, 1.0) if metric.endswith(("_acc", "memorized", "recovered")) else \
        (float(finite.min()) if len(finite) else 0.0, float(finite.max()) if len(finite) else 1.0)
    fig, axes = _axes(len(groups), title or f"mean {metric} per cell")
    im = None
    for ax, (label, g) in zip(axes, groups, strict=True):
        im = ax.imshow(_grid(g, x, y, metric, xs, ys), origin="lower", cmap="viridis", vmin=lo, vmax=hi,
                       aspect="auto", interpolation="nearest")
        ax.set_title(label, fontsize=9)
        _ticks(ax, x, y, xs, ys)
    fig.tight_layout(rect=(0, 0, 0.9, 1))
    if im is not None:
        cax = fig.add_axes((0.92, 0.15, 0.015, 0.7))
        fig.colorbar(im, cax=cax, label=metric)
    png = save_figure(fig, Path(path))
    csv = png.with_suffix(".csv")
    write_text(csv, cells.to_csv(index=False))
    return {"png": str(png), "csv": str(csv), "metric": metric, "x": x, "y": y, "panel": panels,
            "mean": None if not len(finite) else float(finite.mean())}
