"""``rulesfacts curves SPEC``: figures of E_gen / E_mem vs α, λ or κ from a TOML spec.

Each ``[[figure]]`` table draws one PNG (+ one CSV of every plotted number)::

    [[figure]]
    name = "raf-kappa"            # → <out>/raf-kappa.png and .csv
    x = "alpha"                   # alpha | lam | kappa: the swept parameter
    xs = {start = 0.1, stop = 4, num = 40, log = false}   # or an explicit list
    series = {kappa = [0.5, 1, 4]}  # one line per value (optional); any RAFPoint field
    metrics = ["e_gen", "e_mem"]   # e_gen | e_mem | e_train_rule
    learner = "rf"                 # every other key is a fixed RAFPoint field (loss, fact_frac, lam, act, ...)
    loglog = false                 # log axes; with fit_slope = true, a fitted log-log slope per line
    tradeoff = false               # true: plot E_gen against E_mem along x (the λ trade-off frontier)
    simulate = {d = 400, seeds = 3, xs = [0.5, 1, 2], n_test = 20000}  # optional simulation points (±2 SE)

Lines use ``theory_curve`` (warm-started) when x = "alpha", else ``solve_point`` per value.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.io import read_toml
from rulesfacts.runtime import track
from rulesfacts.theory.api import solve_point, theory_curve
from rulesfacts.theory.config import RAFPoint

X_AXES = ("alpha", "lam", "kappa")
METRIC_NAMES = ("e_gen", "e_mem", "e_train_rule")
METRIC_STYLE = {"e_gen": ("-", "E_gen (rule, fresh data)"), "e_mem": ("--", "E_mem (training facts)"),
                "e_train_rule": (":", "train error on rule points")}
FIGURE_KEYS = {"name", "x", "xs", "series", "metrics", "loglog", "fit_slope", "simulate", "title", "logx",
               "tradeoff"}


def load_figure_spec(path: Path) -> list[dict[str, Any]]:
    path = Path(path)
    spec = read_toml(path, "a TOML curves spec")
    figures = spec.get("figure")
    if not isinstance(figures, list) or not figures:
        raise DataFileError(path, "no [[figure]] tables")
    for i, fig in enumerate(figures):
        validate_figure(fig, f"figure[{i}]")
    return figures


def _grid(xs: Any, where: str) -> np.ndarray:
    if isinstance(xs, list) and xs:
        return np.asarray(xs, float)
    if isinstance(xs, dict) and {"start", "stop", "num"} <= set(xs):
        make = np.geomspace if xs.get("log", False) else np.linspace
        return make(float(xs["start"]), float(xs["stop"]), int(xs["num"]))
    raise ConfigError(f"{where}.xs", xs, "a list of numbers or {start, stop, num[, log]}")


def validate_figure(fig: dict[str, Any], where: str) -> None:
    """Check a figure table fully before any work: names, axes, grids and every RAF point."""
    if not isinstance(fig.get("name"), str) or not fig["name"]:
        raise ConfigError(f"{where}.name", fig.get("name"), "a non-empty file name")
    if fig.get("x", "alpha") not in X_AXES:
        raise ConfigError(f"{where}.x", fig.get("x"), " | ".join(X_AXES))
    for m in fig.get("metrics", ["e_gen", "e_mem"]):
        if m not in METRIC_NAMES:
            raise ConfigError(f"{where}.metrics", m, " | ".join(METRIC_NAMES))
    series = fig.get("series", {})
    if not isinstance(series, dict) or len(series) > 1:
        raise ConfigError(f"{where}.series", series, "a table with one parameter and a list of values")
    for key, vals in list(series.items()) + [(fig.get("x", "alpha"), list(_grid(fig.get("xs"), where)))]:
        for v in vals if isinstance(vals, list) else [vals]:
            _point(fig, {key: v}, where)
    sim = fig.get("simulate")
    if sim is not None and not (isinstance(sim, dict) and isinstance(sim.get("xs"), list)):
        raise ConfigError(f"{where}.simulate", sim, "a table {d, seeds, xs = [...]}")


def _point(fig: dict[str, Any], extra: dict[str, Any], where: str) -> RAFPoint:
    fields = {k: v for k, v in fig.items() if k not in FIGURE_KEYS}
    fields.update(extra)
    try:
        return RAFPoint.from_dict(fields)
    except TypeError as e:
        raise ConfigError(where, sorted(fields), f"RAFPoint fields only ({e})") from None


def figure_data(fig: dict[str, Any], progress: bool = False) -> pd.DataFrame:
    """Theory (and simulation) numbers of one figure: columns series, x, source, metrics (+ _se)."""
    from rulesfacts.theory.simulate import simulate_point

    x = fig.get("x", "alpha")
    xs = _grid(fig["xs"], fig["name"])
    (s_key, s_vals), = (fig.get("series") or {"_": [None]}).items()
    frames = []
    for s_val in s_vals:
        extra = {} if s_key == "_" else {s_key: s_val}
        base = {k: v for k, v in _point(fig, extra, fig["name"]).__dict__.items() if k != "alpha"}
        if x == "alpha":
            df = theory_curve(alphas=xs, **base).rename(columns={"alpha": "x"})
        else:
            rows = [{"x": v, **solve_point(**{**base, "alpha": fig.get("alpha", 1.0), x: v})} for v in xs]
            df = pd.DataFrame(rows)
        df["series"], df["source"] = s_val, "theory"
        frames.append(df)
        sim = fig.get("simulate")
        if sim:
            for v in track(sim["xs"], f"{fig['name']}: simulation", progress):
                point = _point(fig, {**extra, x: v}, fig["name"])
                out = simulate_point(point, d=int(sim.get("d", 500)), seeds=int(sim.get("seeds", 3)),
                                     n_test=int(sim.get("n_test", 20000)))
                frames.append(pd.DataFrame([{"x": v, "series": s_val, "source": "simulation", **out}]))
    return pd.concat(frames, ignore_index=True)


def draw_figure(fig: dict[str, Any], data: pd.DataFrame, path: Path) -> dict[str, float]:
    """PNG of one figure; returns the fitted log-log slopes when ``fit_slope`` is set."""
    import matplotlib.pyplot as plt

    from rulesfacts.plotting import save_figure

    x = fig.get("x", "alpha")
    metrics = fig.get("metrics", ["e_gen", "e_mem"])
    f, ax = plt.subplots(figsize=(6.4, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    slopes: dict[str, float] = {}
    if fig.get("tradeoff"):
        _draw_tradeoff(ax, fig, data, colors)
        f.tight_layout()
        save_figure(f, path)
        return slopes
    for i, (s_val, group) in enumerate(data.groupby("series", dropna=False, sort=False)):
        color = colors[i % len(colors)]
        th = group[group["source"] == "theory"]
        label_s = "" if pd.isna(s_val) else f"{next(iter(fig.get('series', {'': 0})))}={s_val}"
        for metric in metrics:
            if metric not in th or th[metric].isna().all():
                continue
            style, name = METRIC_STYLE[metric]
            label = ", ".join(filter(None, [label_s or fig.get("learner", ""), name]))
            if fig.get("fit_slope"):
                ok = th[metric] > 0
                slope = float(np.polyfit(np.log(th["x"][ok]), np.log(th[metric][ok]), 1)[0])
                slopes[f"{label_s or fig.get('learner')}:{metric}"] = slope
                label += f" (slope {slope:.2f})"
            ax.plot(th["x"], th[metric], style, color=color, label=label)
            sim = group[group["source"] == "simulation"]
            if len(sim) and metric in sim:
                ax.errorbar(sim["x"], sim[metric], yerr=2 * sim[f"{metric}_se"], fmt="o", color=color, ms=4,
                            capsize=2)
    if fig.get("loglog"):
        ax.set_xscale("log")
        ax.set_yscale("log")
    elif fig.get("logx") or x == "lam":
        from matplotlib.ticker import NullFormatter

        ax.set_xscale("log")
        if x != "lam":  # a short log range: label 0.5, 1, 2, ... instead of crowded 3×10⁻¹ ticks
            lo, hi = data["x"].min(), data["x"].max()
            ax.set_xticks([v for v in 2.0 ** np.arange(-6, 9) if lo <= v <= hi])
            ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
            ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(xlabel={"alpha": "α = n/d", "lam": "λ", "kappa": "κ = p/d"}[x], ylabel="error")
    ax.set_title(textwrap.fill(fig.get("title", fig["name"]), 70), fontsize=9)
    ax.legend(fontsize=7)
    f.tight_layout()
    save_figure(f, path)
    return slopes


def _draw_tradeoff(ax, fig: dict[str, Any], data: pd.DataFrame, colors: list[str]) -> None:
    """E_gen against E_mem along the swept parameter (usually λ): the trade-off frontier."""
    key = next(iter(fig.get("series", {"": 0})))
    for i, (s_val, group) in enumerate(data.groupby("series", dropna=False, sort=False)):
        th = group[group["source"] == "theory"].sort_values("x")
        label = fig.get("learner", "") if pd.isna(s_val) else f"{key}={s_val}"
        ax.plot(th["e_mem"], th["e_gen"], "-", color=colors[i % len(colors)], label=label)
        best = th.loc[th["e_gen"].idxmin()]
        ax.plot(best["e_mem"], best["e_gen"], "o", color=colors[i % len(colors)], ms=5)
        for end, marker in ((th.iloc[0], "<"), (th.iloc[-1], ">")):
            ax.plot(end["e_mem"], end["e_gen"], marker, color=colors[i % len(colors)], ms=5)
    ax.set(xlabel="E_mem (training facts misfit)", ylabel="E_gen (rule, fresh data)")
    ax.set_title(textwrap.fill(fig.get("title", fig["name"]) + f"  (◀ small {fig.get('x', 'lam')}, "
                               f"▶ large, ● min E_gen)", 70), fontsize=9)
    ax.legend(fontsize=7)


def run_spec(path: Path, out: Path, progress: bool = False) -> dict[str, Any]:
    """Every figure of a spec → <out>/<name>.png + <name>.csv; returns paths and fitted slopes."""
    from rulesfacts.io import ensure_writable_dir, write_text

    figures = load_figure_spec(path)
    ensure_writable_dir(out)
    made, slopes = [], {}
    for fig in figures:
        data = figure_data(fig, progress)
        png = Path(out) / f"{fig['name']}.png"
        write_text(png.with_suffix(".csv"), data.to_csv(index=False))
        slopes.update({f"{fig['name']}:{k}": v for k, v in draw_figure(fig, data, png).items()})
        made.append(str(png))
    return {"figures": made, "slopes": slopes}
