"""Sparse parity, L1 against L2 (the PAIR explorable "Do Machine Learning Models Memorize or
Generalize?", 2023: 30 bits, 3 relevant, 1,200 training sequences, L1 weight decay; L2 "pushes for
lots of small weights, leading to redundant neurons"). Where does L1 find the relevant bits and L2
not, and what does the first layer look like?

    python benchmarks/parity_l1_l2.py run --train-size 300 --seeds 0,1   # → results/parity_l1_l2.json
    python benchmarks/parity_l1_l2.py figure --train-size 300            # → docs/figures/papers-parity-l1-l2.png

Per (n_bits, train_size) one ensemble: the regularizers of ``--regs`` × ``--seeds`` (members differ
only in l1, l2, seed and data seed; seed s draws the same data and subset for every regularizer).
MLP of width 200, ReLU, biases, cross-entropy, Adam lr 1e-2, init σ = 0.1, full batch (the settings
of docs/more-rules.md). Per run: test accuracy, relevant-bit mass (``analysis.parity.relevant_mass``,
chance k/n), Hoyer sparsity, live neurons (row mass ≥ 1% of the largest), and the final share of
Σ|W_in| per input bit.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from rulesfacts.config.train import TrainConfig
from rulesfacts.io import to_json, write_text

RESULTS = Path(__file__).parent / "results" / "parity_l1_l2.json"
FIGURE = Path(__file__).parent.parent / "docs" / "figures" / "papers-parity-l1-l2.png"
BASE = {"task": "parity", "k": 3, "test_size": 2000, "fact_frac": 0.0, "width": 200, "act": "relu", "bias": True,
        "loss": "ce", "lr": 1e-2, "init_scale": 0.1, "log_every": 10, "n_snapshots": 0}
TOP_ROWS = 40  # rows of W_in kept for the heat map (largest row mass first)


def reg_of(text: str) -> dict[str, float]:
    """'none' | 'l1=1e-3' | 'l2=1e-2' → the config fields."""
    if text == "none":
        return {}
    name, _, value = text.partition("=")
    if name not in ("l1", "l2", "wd"):
        raise SystemExit(f"error: --regs item {text!r}: expected none, l1=X, l2=X or wd=X")
    return {name: float(value)}


def measure(cfg: TrainConfig, result) -> dict:
    from rulesfacts.analysis.parity import hoyer_sparsity, relevant_mass, relevant_subset

    w = np.abs(np.asarray(result.weights["W_in"], dtype=np.float64))
    subset = relevant_subset(cfg)
    rows = w.sum(1)
    col = w.sum(0)
    m = result.metrics
    test99 = next((r["epoch"] for r in m if r["test_acc"] >= 0.99), None)
    order = np.argsort(-rows)[:TOP_ROWS]
    return {"subset": subset.tolist(), "test_acc": result.summary["test_acc"], "train_acc": result.summary["train_acc"],
            "epoch_test_99": test99, "relevant_mass": relevant_mass(w, subset), "sparsity": hoyer_sparsity(w),
            "live_neurons": int((rows >= 0.01 * rows.max()).sum()),
            "bit_share": (col / col.sum()).round(5).tolist(),
            "top_rows": np.round(np.asarray(result.weights["W_in"], dtype=np.float64)[order], 4).tolist(),
            "curve": {k: [round(r[k], 5) for r in m] for k in ("epoch", "train_acc", "test_acc", "train_loss",
                                                                "test_loss")}}


def run(n_bits: int, sizes: list[int], regs: list[str], seeds: list[int], epochs: int) -> None:
    from rulesfacts.bench.machine import machine_info
    from rulesfacts.training.trainer import train_ensemble

    for size in sizes:
        cfgs = [TrainConfig(**BASE, n_bits=n_bits, train_size=size, epochs=epochs, seed=s, **reg_of(r))
                for r in regs for s in seeds]
        t = time.perf_counter()
        results = train_ensemble(cfgs, progress=False)
        seconds = round(time.perf_counter() - t, 1)
        key = (n_bits, size, epochs)
        # read just before writing: other runs of this script may have added rows meanwhile
        data = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"runs": []}
        data["machine"], data["base"] = machine_info(), BASE
        data["runs"] = [r for r in data["runs"] if (r["n_bits"], r["train_size"], r["epochs"]) != key or
                        (r["reg"], r["seed"]) not in {(g, s) for g in regs for s in seeds}]
        for (reg, seed), cfg, res in zip([(g, s) for g in regs for s in seeds], cfgs, results, strict=True):
            row = {"n_bits": n_bits, "train_size": size, "epochs": epochs, "reg": reg, "seed": seed,
                   "ensemble_seconds": seconds, **measure(cfg, res)}
            data["runs"].append(row)
            print(json.dumps({k: v for k, v in row.items() if k not in ("bit_share", "top_rows", "curve")}),
                  flush=True)
        write_text(RESULTS, to_json(data) + "\n")  # one line: the curves make indented JSON megabytes long


def figure(n_bits: int, size: int, regs: list[str], seed: int) -> None:
    from rulesfacts.plotting import plt, save_figure

    data = json.loads(RESULTS.read_text())
    runs = {r["reg"]: r for r in data["runs"]
            if r["n_bits"] == n_bits and r["train_size"] == size and r["seed"] == seed and r["reg"] in regs}
    shown = [g for g in regs if g in runs]
    fig, axes = plt.subplots(2, len(shown), figsize=(3.6 * len(shown), 6.4), squeeze=False,
                             gridspec_kw={"height_ratios": [1, 1.6]})
    for j, reg in enumerate(shown):
        r = runs[reg]
        bits = np.arange(n_bits)
        colors = ["#d62728" if b in r["subset"] else "#7f7f7f" for b in bits]
        axes[0, j].bar(bits, r["bit_share"], color=colors)
        axes[0, j].axhline(1 / n_bits, color="k", lw=0.8, ls=":")
        axes[0, j].set_title(f"{reg}: test {r['test_acc']:.1%}\nrelevant mass {r['relevant_mass']:.2f}, "
                             f"{r['live_neurons']} live neurons", fontsize=9)
        axes[0, j].set_xlabel("input bit (red: the 3 relevant)")
        top = np.asarray(r["top_rows"])
        lim = np.abs(top).max() or 1.0
        axes[1, j].imshow(top, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto", interpolation="nearest")
        for b in r["subset"]:
            axes[1, j].axvline(b, color="gold", lw=0.6, alpha=0.6)
        axes[1, j].set_xlabel("input bit")
        axes[1, j].set_ylabel(f"neuron (top {len(top)} by Σ|w|)")
    axes[0, 0].set_ylabel("share of Σ|W_in| (dotted: uniform)")
    fig.suptitle(f"Sparse parity n = {n_bits}, k = 3, {size} training points, seed {seed}: first-layer weights",
                 fontsize=10)
    fig.tight_layout()
    save_figure(fig, FIGURE)
    print("| n | train size | regularizer | seed | test | epoch test ≥ 99% | relevant mass | Hoyer sparsity | "
          "live neurons |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in sorted(data["runs"], key=lambda r: (r["n_bits"], r["train_size"], r["reg"], r["seed"])):
        print(f"| {r['n_bits']} | {r['train_size']} | {r['reg']} | {r['seed']} | {r['test_acc']:.3f} | "
              f"{r['epoch_test_99'] if r['epoch_test_99'] is not None else '—'} | {r['relevant_mass']:.3f} | "
              f"{r['sparsity']:.2f} | {r['live_neurons']} |")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("run", "figure"))
    ap.add_argument("--n-bits", type=int, default=30)
    ap.add_argument("--train-size", type=lambda s: [int(x) for x in s.split(",")], default=[600])
    ap.add_argument("--regs", type=lambda s: s.split(","), default=["none", "l1=1e-3", "l2=1e-2", "l2=3e-2"])
    ap.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=[0])
    ap.add_argument("--epochs", type=int, default=600)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    if args.what == "run":
        run(args.n_bits, args.train_size, args.regs, args.seeds, args.epochs)
    else:
        figure(args.n_bits, args.train_size[0], args.regs, args.seeds[0])
