"""Cut neurons out and watch what the network forgets (Doshi, Das, He & Gromov 2024, Sec. 4).

Pruning neuron k zeroes its row of W_in (and its input bias) and its column of W_out, so it
contributes nothing to any output. Neurons go in order of combined IPR: lowest first removes
the memorizing neurons before any rule neuron; highest first is the control that removes the
rule neurons first. Every step of a curve is one weight set, scored together with
``evaluate_many`` (in member chunks that bound the memory of the batched forward).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from rulesfacts.analysis.neurons import MEMORIZING, neuron_table
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.tasks import n_examples
from rulesfacts.training.evaluate import evaluate_many

ORDERS = ("low", "high", "random")
CURVE_COLUMNS = ("n_pruned", "order", "train_acc", "clean_acc", "facts_memorized", "facts_recovered", "test_acc")
DEFAULT_STEPS = 50
FLOATS_PER_CHUNK = 50_000_000  # hidden activations held at once by one batched forward (~200 MB)


def prune(weights: dict[str, np.ndarray], neurons: np.ndarray) -> dict[str, np.ndarray]:
    """A copy of ``weights`` with the given hidden neurons removed (their in/out weights zeroed)."""
    out = {k: np.array(v, copy=True) for k, v in weights.items()}
    idx = np.asarray(neurons, dtype=int)
    out["W_in"][idx, :] = 0
    out["W_out"][:, idx] = 0
    if "b_in" in out:
        out["b_in"][idx] = 0
    return out


def prune_order(table: pd.DataFrame, order: str, seed: int = 0) -> np.ndarray:
    """Neuron indices in the order they are removed (ties broken by index, stably)."""
    if order not in ORDERS:
        raise ConfigError("order", order, f"one of {', '.join(ORDERS)}")
    ipr = table["ipr"].to_numpy()
    if order == "random":
        return np.random.default_rng(seed).permutation(len(ipr))
    key = np.nan_to_num(ipr, nan=-np.inf)
    return np.argsort(key if order == "low" else -key, kind="stable")


def prune_steps(width: int, steps: int | None, marks: tuple[int, ...] = ()) -> np.ndarray:
    """Numbers of pruned neurons to score: 0..width in ``steps`` even steps (all widths when
    ``steps`` ≥ width), plus the ``marks`` (e.g. the count of memorizing neurons)."""
    if steps is None:
        steps = DEFAULT_STEPS
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ConfigError("steps", steps, "a positive integer (points of the pruning curve)")
    grid = np.linspace(0, width, min(steps, width) + 1).round().astype(int)
    return np.unique(np.concatenate([grid, np.asarray(marks, dtype=int)]))


def prune_curve(cfg: TrainConfig, weights: dict[str, np.ndarray], order: str = "low", steps: int | None = None,
                table: pd.DataFrame | None = None, r: float = 2,
                progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Subset accuracies after pruning the first n neurons of ``order``, for n on a grid that
    always includes the number of memorizing neurons. ``table``: a precomputed neuron table."""
    if cfg.task != "modular":
        raise ConfigError("task", cfg.task, "modular (pruning by Fourier IPR needs the (a, b) → p layout)")
    if table is None:
        table = neuron_table(weights, cfg.p, r)
    ranked = prune_order(table, order)
    n_mem = int((table["label"] == MEMORIZING).sum())
    counts = prune_steps(len(ranked), steps, (n_mem,))
    chunk = max(1, FLOATS_PER_CHUNK // (n_examples(cfg) * cfg.width))
    rows: list[dict] = []
    for s in range(0, len(counts), chunk):
        part = counts[s:s + chunk]
        metrics = evaluate_many(cfg, [prune(weights, ranked[:n]) for n in part])
        rows += [{"n_pruned": int(n), "order": order, **{k: m[k] for k in CURVE_COLUMNS[2:]}}
                 for n, m in zip(part, metrics, strict=True)]
        if progress is not None:
            progress(len(part))
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


def pruning_summary(curves: pd.DataFrame, n_memorizing: int) -> dict[str, float | None]:
    """The headline numbers: the net before pruning, after removing exactly the memorizing
    neurons (lowest IPR first), and after removing as many neurons from the top (control)."""
    def at(order: str, n: int) -> dict:
        row = curves[(curves["order"] == order) & (curves["n_pruned"] == n)]
        return row.iloc[0].to_dict() if len(row) else {}

    base, low, high = at("low", 0), at("low", n_memorizing), at("high", n_memorizing)
    out: dict[str, float | None] = {}
    for key in ("clean_acc", "facts_memorized", "facts_recovered", "test_acc"):
        out[f"before_{key}"] = base.get(key)
        out[f"pruned_low_{key}"] = low.get(key)
        out[f"pruned_high_{key}"] = high.get(key)
    return out
