"""Has the network found the hidden subset? Measures of a sparse-parity run's first layer.

The PAIR explorable ("Do Machine Learning Models Memorize or Generalize?", 2023) shows the
generalizing solution of sparse parity in the first layer: its weight concentrates on the k
relevant input bits, and L1 decay makes it sparse. These numbers make that visible over training:

- ``relevant_mass``: the fraction of first-layer weight mass Σ|W_in| on the k relevant columns.
  Chance (a dense, unstructured layer) is k / n; a net that computes the rule from S alone is ≈ 1.
- ``sparsity``: Hoyer's measure (√D − ‖w‖₁/‖w‖₂) / (√D − 1) of all D first-layer weights, 0 for
  equal magnitudes, 1 for a single non-zero weight; threshold-free, so runs compare directly.
- ``epoch_found``: the first snapshot epoch where ``relevant_mass`` ≥ ``FOUND_LEVEL`` (half of
  the mass on k of the n bits: for n = 30, k = 3 that is 5× chance, and a memorizing net stays
  near chance).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.config.train import TrainConfig
from rulesfacts.tasks.parity import parity_subset
from rulesfacts.training.rundir import Run

FOUND_LEVEL = 0.5


def relevant_subset(cfg: TrainConfig) -> np.ndarray:
    """The hidden bits of a parity run (from its data seed)."""
    return parity_subset(cfg.n_bits, cfg.k, cfg.effective_data_seed)


def relevant_mass(w_in: np.ndarray, subset: np.ndarray) -> float:
    """Fraction of Σ|W_in| (W_in: (N, n_bits)) on the columns of ``subset``."""
    col = np.abs(np.asarray(w_in, dtype=np.float64)).sum(axis=0)
    total = col.sum()
    return float(col[subset].sum() / total) if total > 0 else float("nan")


def hoyer_sparsity(w: np.ndarray) -> float:
    """Hoyer (2004): (√D − ‖w‖₁/‖w‖₂) / (√D − 1), in [0, 1]."""
    w = np.abs(np.asarray(w, dtype=np.float64)).ravel()
    d, l2 = w.size, np.sqrt((w**2).sum())
    if d < 2 or l2 == 0:
        return float("nan")
    return float((np.sqrt(d) - w.sum() / l2) / (np.sqrt(d) - 1))


def parity_table(run: Run) -> pd.DataFrame:
    """One row per weight snapshot (and the final weights): epoch, relevant_mass, sparsity,
    and the logged test accuracy at that epoch when there is one."""
    subset = relevant_subset(run.config)
    epochs = run.snapshot_epochs()
    rows = [(e, run.snapshot(e)["W_in"]) for e in epochs]
    final_epoch = int(run.summary.get("epochs") or (epochs[-1] if epochs else 0))
    if not epochs or final_epoch > epochs[-1]:
        rows.append((final_epoch, run.weights()["W_in"]))
    df = pd.DataFrame({"epoch": [e for e, _ in rows],
                       "relevant_mass": [relevant_mass(w, subset) for _, w in rows],
                       "sparsity": [hoyer_sparsity(w) for _, w in rows]})
    if "test_acc" in run.metrics:
        df = df.merge(run.metrics[["epoch", "test_acc", "train_acc"]], on="epoch", how="left")
    return df


def epoch_found(table: pd.DataFrame, level: float = FOUND_LEVEL) -> int | None:
    """First epoch whose relevant mass reaches ``level`` (None: never)."""
    hit = table.loc[table["relevant_mass"] >= level, "epoch"]
    return int(hit.iloc[0]) if len(hit) else None


def analyze_parity(run: Run, out_dir: Path | None = None, options: Any = None,
                   advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Summary of a parity run (the ``rulesfacts analyze`` branch, signature of the pipeline's
    analyzers): subset, final measures, the epoch the net found the subset; writes parity.csv
    and parity.png into ``out_dir``."""
    cfg = run.config
    table = parity_table(run)
    if advance is not None:
        advance(len(run.snapshot_epochs()))
    last = table.iloc[-1]
    out: dict[str, Any] = {
        "task": "parity", "model": cfg.model, "run_dir": str(run.path),
        "subset": relevant_subset(cfg).tolist(), "chance_mass": cfg.k / cfg.n_bits,
        "relevant_mass": float(last["relevant_mass"]), "sparsity": float(last["sparsity"]),
        "found_level": FOUND_LEVEL, "epoch_found": epoch_found(table),
        "test_acc": run.summary.get("test_acc"), "train_acc": run.summary.get("train_acc"),
    }
    if out_dir is not None:
        from rulesfacts.io import write_text

        out_dir = Path(out_dir)
        write_text(out_dir / "parity.csv", table.to_csv(index=False, float_format="%.6g"))
        label = _label(cfg)
        plot_parity({label: run}, out_dir / "parity.png", {label: table})
        out |= {"out_dir": str(out_dir), "files": ["parity.csv", "parity.png"]}
    return out


def _label(cfg: TrainConfig) -> str:
    parts = [f"{name}={getattr(cfg, name):g}" for name in ("l1", "l2", "wd") if getattr(cfg, name) > 0]
    return ", ".join(parts) or "no decay"


def plot_parity(runs: dict[str, Run], path: Path, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """Three panels per labelled run: test accuracy, relevant-bit mass and the final per-bit mass
    of the first layer (relevant bits marked). ``tables``: ``parity_table`` of runs already read
    (each one loads every snapshot)."""
    import matplotlib.pyplot as plt

    from rulesfacts.plotting import save_figure

    fig, (ax_acc, ax_mass, ax_bits) = plt.subplots(1, 3, figsize=(14, 3.8))
    colors = plt.get_cmap("tab10")
    n_runs = len(runs)
    for j, (label, run) in enumerate(runs.items()):
        c = colors(j)
        m = run.metrics
        ax_acc.plot(m["epoch"], m["test_acc"], color=c, label=f"{label} test")
        ax_acc.plot(m["epoch"], m["train_acc"], color=c, ls=":", lw=1)
        t = tables[label] if tables and label in tables else parity_table(run)
        ax_mass.plot(t["epoch"], t["relevant_mass"], color=c, marker=".", label=label)
        col = np.abs(run.weights()["W_in"]).sum(0)
        bits = np.arange(len(col))
        ax_bits.bar(bits + (j - (n_runs - 1) / 2) * 0.8 / n_runs, col / col.sum(), width=0.8 / n_runs, color=c,
                    label=label)
    cfg = next(iter(runs.values())).config
    subset = relevant_subset(cfg)
    ax_mass.axhline(cfg.k / cfg.n_bits, color="grey", ls="--", lw=1, label="chance k/n")
    ax_mass.axhline(FOUND_LEVEL, color="black", ls=":", lw=1, label="'found' level")
    for s in subset:
        ax_bits.axvspan(s - 0.5, s + 0.5, color="gold", alpha=0.3, lw=0)
    ax_acc.set(xlabel="epoch", ylabel="accuracy (dotted: train)", ylim=(0.4, 1.02), title="test accuracy")
    ax_mass.set(xlabel="epoch", ylabel="Σ|W_in| on relevant bits / Σ|W_in|", ylim=(0, 1.02),
                title="weight mass on the k relevant bits")
    ax_bits.set(xlabel="input bit (relevant bits shaded)", ylabel="share of Σ|W_in|", title="final first layer")
    ax_acc.legend(fontsize=7)
    ax_mass.legend(fontsize=7)
    ax_bits.legend(fontsize=7)
    fig.suptitle(f"sparse parity n={cfg.n_bits} k={cfg.k} train_size={cfg.train_size} ξ={cfg.fact_frac} "
                 f"N={cfg.width} {cfg.act} {cfg.loss}", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
