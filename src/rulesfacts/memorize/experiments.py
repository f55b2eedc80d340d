"""The experiments of Yu et al. (2024, §8 and Appendix tables) on small data: every class pair for
every method, test accuracy vs training-set size, and the width experiment (width ≥ d).

Each function returns a pandas DataFrame (one row per run) so a notebook and the CLI share them.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.errors import ConfigError
from rulesfacts.memorize.common import MemorizationNet, accuracy, decide
from rulesfacts.runtime import torch_threads
from rulesfacts.tasks.images import ImageData, PairTask, make_pair

METHODS = ("m1", "m2", "m3", "park", "vardi", "mlp")
METHOD_LABELS = {"m1": "M1 Yu et al. (Thm 7.3)", "m2": "M2 projection, simplified (Park et al.)",
                 "m3": "M3 bit extraction, simplified (Vardi et al.)",
                 "park": "Park et al. deep narrow, O(N^2/3)", "vardi": "Vardi et al. deep narrow, Õ(√N)",
                 "mlp": "trained MLP"}


def build(method: str, x: np.ndarray, y: np.ndarray, seed: int = 0, mlp_params: int | None = None,
          bottleneck: int | None = None) -> MemorizationNet:
    """Construct (or, for "mlp", train) the network of ``method`` on (x, y ∈ ±1)."""
    if method == "m1":
        from rulesfacts.memorize.yu import YuNetwork

        return YuNetwork(x, y, bottleneck=bottleneck, seed=seed)
    if method == "m2":
        from rulesfacts.memorize.park import ParkNetwork

        return ParkNetwork(x, y, seed=seed)
    if method == "m3":
        from rulesfacts.memorize.vardi import VardiNetwork

        return VardiNetwork(x, y, seed=seed)
    if method == "park":
        from rulesfacts.memorize.blocks import ParkDeepNetwork

        return ParkDeepNetwork(x, y, seed=seed)
    if method == "vardi":
        from rulesfacts.memorize.blocks import VardiSqrtNetwork

        return VardiSqrtNetwork(x, y, seed=seed)
    if method == "mlp":
        from rulesfacts.memorize.trained import MLPConfig, TrainedMLP

        budget = mlp_params if mlp_params is not None else build("m2", x, y, seed).info.params
        return TrainedMLP(x, y, MLPConfig.for_budget(budget, x.shape[1], seed=seed))
    raise ConfigError("method", method, f"one of {', '.join(METHODS)}")


def run_method(task: PairTask, method: str, seed: int = 0, mlp_params: int | None = None,
               bottleneck: int | None = None, threads: int | None = 1) -> dict[str, Any]:
    """Build ``method`` on the task and evaluate it: train accuracy is measured, never assumed."""
    t0 = time.perf_counter()
    with torch_threads(threads):
        net = build(method, task.x_train, task.y_train, seed, mlp_params, bottleneck)
        train_acc = accuracy(net, task.x_train, task.y_train)
        scores = net.score(task.x_test)
    test_acc = float(np.mean(decide(scores) == task.y_test)) if len(scores) else float("nan")
    return {
        "train_acc": train_acc,
        "test_acc": test_acc,
        "test_undecided": float(np.mean(scores == 0)) if len(scores) else float("nan"),
        "params": net.info.params,
        "depth": net.info.depth,
        "width": net.info.width,
        "seconds": time.perf_counter() - t0,
        "n_train": len(task.y_train),
        "n_test": len(task.y_test),
        "dim": task.dim,
    }


def class_pairs(data: ImageData) -> list[tuple[int, int]]:
    return list(itertools.combinations(data.classes, 2))


def pair_table(data: ImageData, methods: Iterable[str] = METHODS, pairs: Iterable[tuple[int, int]] | None = None,
               train_per_class: int | None = None, test_per_class: int | None = None, normalize: str = "unit",
               seed: int = 0,
               on_pair: Callable[[tuple[int, int]], None] | None = None) -> pd.DataFrame:
    """One row per (pair, method). The MLP gets the parameter budget of M2 on the same pair."""
    methods = check_methods(methods)
    rows = []
    for a, b in (list(pairs) if pairs is not None else class_pairs(data)):
        task = make_pair(data, a, b, train_per_class, test_per_class, normalize, seed)
        budget = None
        for method in methods:
            res = run_method(task, method, seed, mlp_params=budget)
            if method == "m2":
                budget = res["params"]
            rows.append({"dataset": data.name, "a": a, "b": b, "method": method, **res})
        if on_pair is not None:
            on_pair((a, b))
    return pd.DataFrame(rows)


def size_curve(data: ImageData, pair: tuple[int, int], sizes: Iterable[int], methods: Iterable[str] = METHODS,
               normalize: str = "unit", seeds: Iterable[int] = (0,),
               on_run: Callable[[], None] | None = None) -> pd.DataFrame:
    """Test accuracy vs training images per class (Yu et al.'s sample-complexity message)."""
    methods = check_methods(methods)
    rows = []
    for n, seed in itertools.product(sizes, seeds):
        task = make_pair(data, *pair, train_per_class=int(n), normalize=normalize, seed=seed)
        for method in methods:
            rows.append({"dataset": data.name, "a": pair[0], "b": pair[1], "n_per_class": int(n), "seed": seed,
                         "method": method, **run_method(task, method, seed)})
        if on_run is not None:
            on_run()
    return pd.DataFrame(rows)


def width_curve(data: ImageData, pair: tuple[int, int], widths: Iterable[int], train_per_class: int | None = None,
                normalize: str = "unit", seeds: Iterable[int] = (0,),
                on_run: Callable[[], None] | None = None) -> pd.DataFrame:
    """M1 behind a random width-k linear bottleneck, k from 1 to d, beside M2 and M3 (width 1).

    Yu et al.'s theorem: a memorization network narrower than the data dimension d cannot be
    generalizable for every distribution; the same construction seen through fewer than d
    directions shows how much test accuracy the narrow layer costs.
    """
    rows = []
    for seed in seeds:
        task = make_pair(data, *pair, train_per_class=train_per_class, normalize=normalize, seed=seed)
        for k in widths:
            if not 1 <= k <= task.dim:
                raise ConfigError("width", k, f"from 1 to the data dimension {task.dim}")
            res = run_method(task, "m1", seed, bottleneck=None if k == task.dim else int(k))
            rows.append({"dataset": data.name, "method": "m1", "bottleneck": int(k), "seed": seed, **res})
            if on_run is not None:
                on_run()
        for method in ("m2", "m3"):
            rows.append({"dataset": data.name, "method": method, "bottleneck": 1, "seed": seed,
                         **run_method(task, method, seed)})
    return pd.DataFrame(rows)


def check_methods(methods: Iterable[str]) -> list[str]:
    """The method names, or a ConfigError naming the first unknown one."""
    methods = list(methods)
    for m in methods:
        if m not in METHODS:
            raise ConfigError("method", m, f"one of {', '.join(METHODS)}")
    return methods


# ---------------------------------------------------------------- outputs


def table_markdown(df: pd.DataFrame) -> str:
    """Pairs as rows, per method train/test accuracy, parameters and seconds (a markdown table)."""
    methods = [m for m in METHODS if m in set(df["method"])]
    head = "| pair | " + " | ".join(f"{m} train | {m} test | {m} params | {m} s" for m in methods) + " |"
    sep = "|---|" + "---|" * (4 * len(methods))
    lines = [head, sep]
    for (a, b), g in df.groupby(["a", "b"], sort=True):
        cells = []
        for m in methods:
            r = g[g["method"] == m].iloc[0]
            cells += [f"{r.train_acc:.3f}", f"{r.test_acc:.3f}", f"{int(r.params):,}", f"{r.seconds:.2f}"]
        lines.append(f"| {a}-{b} | " + " | ".join(cells) + " |")
    means = []
    for m in methods:
        g = df[df["method"] == m]
        means += [f"{g.train_acc.mean():.3f}", f"{g.test_acc.mean():.3f}", f"{int(g.params.mean()):,}",
                  f"{g.seconds.mean():.2f}"]
    lines.append("| **mean** | " + " | ".join(means) + " |")
    return "\n".join(lines) + "\n"


def curve_markdown(df: pd.DataFrame, key: str) -> str:
    """Mean ± std test accuracy over seeds per ``key`` value (rows) and method (columns), with the
    smallest train accuracy seen (1.0 = every run memorized its training set exactly)."""
    methods = [m for m in METHODS if m in set(df["method"])]
    lines = [f"| {key} | " + " | ".join(f"{m} test acc" for m in methods) + " | min train acc |",
             "|---|" + "---|" * (len(methods) + 1)]
    for value, g in df.groupby(key, sort=True):
        cells = []
        for m in methods:
            a = g[g["method"] == m]["test_acc"]
            cells.append(f"{a.mean():.3f} ± {a.std(ddof=0):.3f}" if len(a) else "")
        lines.append(f"| {value} | " + " | ".join(cells) + f" | {g['train_acc'].min():.3f} |")
    return "\n".join(lines) + "\n"


def plot_heatmap(df: pd.DataFrame, path: Path) -> Path:
    """One panel per method: test accuracy of every class pair (symmetric), as in the paper's tables."""
    import matplotlib.pyplot as plt

    from rulesfacts.plotting import save_figure

    methods = [m for m in METHODS if m in set(df["method"])]
    classes = sorted(set(df["a"]) | set(df["b"]))
    idx = {c: i for i, c in enumerate(classes)}
    fig, axes = plt.subplots(1, len(methods), figsize=(2.9 * len(methods) + 1.0, 3.3), squeeze=False,
                             layout="constrained")
    im = None
    for ax, m in zip(axes[0], methods, strict=True):
        mat = np.full((len(classes), len(classes)), np.nan)
        for r in df[df["method"] == m].itertuples():
            mat[idx[r.a], idx[r.b]] = mat[idx[r.b], idx[r.a]] = r.test_acc
        im = ax.imshow(mat, vmin=0.5, vmax=1.0, cmap="viridis")
        ax.set(xticks=range(len(classes)), yticks=range(len(classes)), xticklabels=classes, yticklabels=classes,
               title=f"{METHOD_LABELS[m]}\nmean {np.nanmean(mat):.3f}")
        ax.title.set_fontsize(8)
        ax.tick_params(labelsize=7)
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="test accuracy")
    fig.suptitle(f"{df['dataset'].iloc[0]}: test accuracy per class pair (train accuracy 1.0 everywhere)",
                 fontsize=9)
    return save_figure(fig, path)


def plot_size_curve(df: pd.DataFrame, path: Path) -> Path:
    import matplotlib.pyplot as plt

    from rulesfacts.plotting import save_figure

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for m in [m for m in METHODS if m in set(df["method"])]:
        g = df[df["method"] == m].groupby("n_per_class")["test_acc"].agg(["mean", "std"]).reset_index()
        ax.errorbar(g["n_per_class"], g["mean"], yerr=g["std"].fillna(0), marker="o", capsize=2,
                    label=METHOD_LABELS[m])
    ax.set(xscale="log", xlabel="training images per class", ylabel="test accuracy",
           title=f"{df['dataset'].iloc[0]} pair {df['a'].iloc[0]}-{df['b'].iloc[0]}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_width_curve(df: pd.DataFrame, path: Path) -> Path:
    import matplotlib.pyplot as plt

    from rulesfacts.plotting import save_figure

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    m1 = df[df["method"] == "m1"].groupby("bottleneck")["test_acc"].agg(["mean", "std"]).reset_index()
    ax.errorbar(m1["bottleneck"], m1["mean"], yerr=m1["std"].fillna(0), marker="o", capsize=2,
                label="M1 behind a width-k layer")
    for m, marker in (("m2", "s"), ("m3", "^")):
        g = df[df["method"] == m]
        if len(g):
            ax.scatter([1], [g["test_acc"].mean()], marker=marker, s=50, label=f"{METHOD_LABELS[m]} (width 1)",
                       zorder=3)
    d = int(df["dim"].iloc[0])
    ax.axvline(d, color="grey", ls="--", lw=1)
    ax.text(d, ax.get_ylim()[0], " d", color="grey", va="bottom")
    ax.set(xscale="log", xlabel="narrowest layer width k", ylabel="test accuracy (train accuracy 1.0)",
           title=f"{df['dataset'].iloc[0]}: memorization networks narrower than d = {d}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path)
