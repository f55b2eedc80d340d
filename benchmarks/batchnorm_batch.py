"""BatchNorm against the batch size at a CPU-sized modulus (Doshi, Das, He & Gromov 2024, Sec. 5.2:
BatchNorm de-amplifies the memorizing neurons; their BN script varies the batch size with
lr·√(batch/256) and 2000·256/batch steps).

    python benchmarks/batchnorm_batch.py run        # → results/batchnorm_batch.json (about 10 min, 1 core)
    python benchmarks/batchnorm_batch.py figure     # → docs/figures/papers-batchnorm-batch.png + the table

p = 31, N = 128, α = 0.6, no weight decay, uniform facts ξ ∈ {0.05, 0.15, 0.3}, two seeds; batch sizes
8 … 256, BatchNorm off and on; lr = 1e-2·√(batch/256). Every run trains the same number of epochs, so
its step count is ∝ 1/batch, as in the paper's script (300 epochs: 2.3 examples seen per paper step at
α = 0.6, p = 31, i.e. fewer steps than the paper's 512,000/batch). Per run: the final subset
accuracies, the phase, and for BN runs the median |γ| of generalizing over memorizing neurons
(``analysis.batchnorm.scale_ratio``). Each (batch, BN) pair is one ensemble of the 6 runs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from rulesfacts.config.train import TrainConfig
from rulesfacts.io import to_json, write_text

RESULTS = Path(__file__).parent / "results" / "batchnorm_batch.json"
FIGURE = Path(__file__).parent.parent / "docs" / "figures" / "papers-batchnorm-batch.png"
BATCHES = (8, 16, 32, 64, 128, 256)
FACT_FRACS = (0.05, 0.15, 0.3)
SEEDS = (0, 1)
BASE = {"task": "modular", "p": 31, "width": 128, "train_frac": 0.6, "lr": 1e-2, "lr_batch_scaling": True,
        "fact_mode": "uniform", "log_every": 10, "n_snapshots": 0}


def run(epochs: int) -> None:
    from rulesfacts.analysis.batchnorm import bn_table, scale_ratio
    from rulesfacts.bench.machine import machine_info
    from rulesfacts.sweep.phases import classify
    from rulesfacts.training.trainer import train_ensemble

    out = {"machine": machine_info(), "base": {**BASE, "epochs": epochs}, "runs": []}
    for batch in BATCHES:
        for bn in (False, True):
            cfgs = [TrainConfig(**BASE, epochs=epochs, batch_size=batch, batchnorm=bn, fact_frac=xi, seed=s)
                    for xi in FACT_FRACS for s in SEEDS]
            t = time.perf_counter()
            results = train_ensemble(cfgs, progress=False)
            seconds = time.perf_counter() - t
            for cfg, r in zip(cfgs, results, strict=True):
                s = r.summary
                row = {"batch": batch, "batchnorm": bn, "fact_frac": cfg.fact_frac, "seed": cfg.seed,
                       "steps": epochs * -(-s["n_train"] // batch), "phase": classify(s),
                       **{k: s[k] for k in ("train_acc", "test_acc", "clean_acc", "facts_memorized",
                                            "facts_recovered", "epoch_train_99", "epoch_test_99")},
                       "ensemble_seconds": round(seconds, 1)}
                if bn:
                    table = bn_table(r.weights, p=cfg.p)
                    row["n_generalizing"] = int((table["label"] == "generalizing").sum())
                    row["bn_scale_ratio"] = scale_ratio(table)
                out["runs"].append(row)
            print(json.dumps({"batch": batch, "batchnorm": bn, "seconds": round(seconds, 1),
                              "test": [round(r.summary["test_acc"], 3) for r in results]}), flush=True)
            write_text(RESULTS, to_json(out) + "\n")  # one line: the results are data, not prose


def figure() -> None:
    import pandas as pd

    from rulesfacts.plotting import plt, save_figure

    data = json.loads(RESULTS.read_text())
    df = pd.DataFrame(data["runs"])
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    colors = dict(zip(FACT_FRACS, ("C0", "C1", "C2"), strict=True))
    for xi in FACT_FRACS:
        sub = df[df.fact_frac == xi]
        for bn, style in ((False, "--"), (True, "-")):
            m = sub[sub.batchnorm == bn].groupby("batch")["test_acc"].agg(["mean", "min", "max"])
            axes[0].plot(m.index, m["mean"], style, color=colors[xi], marker="o", ms=4,
                         label=f"ξ = {xi:g}, {'BN' if bn else 'no BN'}")
            axes[0].fill_between(m.index, m["min"], m["max"], color=colors[xi], alpha=0.1)
        bn_runs = sub[sub.batchnorm].groupby("batch")
        axes[1].plot(bn_runs["n_generalizing"].mean(), "-o", color=colors[xi], ms=4, label=f"ξ = {xi:g}")
        axes[2].plot(bn_runs["bn_scale_ratio"].median(), "-o", color=colors[xi], ms=4, label=f"ξ = {xi:g}")
    axes[2].axhline(1, color="grey", lw=0.8, ls=":")
    for ax, ylabel in zip(axes, ("test accuracy (mean of 2 seeds; band: range)", "generalizing neurons of 128 (BN)",
                                 "median |γ|, generalizing / memorizing (BN)"), strict=True):
        ax.set_xscale("log", base=2)
        ax.set_xticks(BATCHES, [str(b) for b in BATCHES])
        ax.set_xlabel("batch size")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)
    mem = df["facts_memorized"].min()
    base = data["base"]
    fig.suptitle(f"BatchNorm vs batch size: p = {base['p']}, N = {base['width']}, α = {base['train_frac']}, "
                 f"{base['epochs']} epochs, lr = 1e-2·√(batch/256); facts memorized ≥ {mem:.2f} in every run",
                 fontsize=10)
    fig.tight_layout()
    save_figure(fig, FIGURE)
    agg = df.groupby(["batch", "batchnorm"]).agg(
        test=("test_acc", "mean"), mem=("facts_memorized", "mean"), rec=("facts_recovered", "mean"),
        clean=("clean_acc", "mean"), ratio=("bn_scale_ratio", "median"),
        phases=("phase", lambda s: ", ".join(f"{k} {v}" for k, v in s.value_counts().items())),
        steps=("steps", "max"), seconds=("ensemble_seconds", "max"))
    print("| batch | BN | steps | mean test | mean facts memorized | mean facts recovered | mean clean | "
          "phases (6 runs) | median \\|γ\\| ratio gen/mem | s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (batch, bn), r in agg.iterrows():
        ratio = "–" if not bn or np.isnan(r.ratio) else f"{r.ratio:.2f}"
        print(f"| {batch} | {'on' if bn else 'off'} | {r.steps:,} | {r.test:.3f} | {r.mem:.3f} | {r.rec:.3f} | "
              f"{r.clean:.3f} | {r.phases} | {ratio} | {r.seconds:.0f} |")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("run", "figure"))
    ap.add_argument("--epochs", type=int, default=300, help="epochs of every run (steps ∝ 1/batch)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    run(args.epochs) if args.what == "run" else figure()
