"""Dropout and the neurons (Doshi et al. 2024, claim iv: with dropout every neuron becomes
generalizing): fraction of generalizing neurons (combined IPR above the data-read threshold of
``analysis.neurons``) against the dropout rate, at the laptop size of the small presets.

    python scripts/dropout_neurons.py --rates 0,0.1,0.25,0.5 --seeds 2

Every rate × seed is trained in one batched ensemble (p = 31, width 128, α = 0.6, ξ = 0.1 uniform
facts, Adam lr 0.01, no weight decay, 1,500 epochs, dropout on the pre-activations).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from rulesfacts.analysis.neurons import GENERALIZING, neuron_table
from rulesfacts.config.train import TrainConfig
from rulesfacts.training.trainer import train_ensemble


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="0,0.1,0.25,0.5")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=1500)
    ap.add_argument("--train-frac", type=float, default=0.6)
    ap.add_argument("--fact-frac", type=float, default=0.1)
    args = ap.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    cfgs = [TrainConfig(task="modular", p=31, width=128, lr=0.01, epochs=args.epochs, log_every=50, n_snapshots=2,
                        fact_mode="uniform", train_frac=args.train_frac, fact_frac=args.fact_frac, dropout=r, seed=s)
            for r in rates for s in range(args.seeds)]
    t0 = time.perf_counter()
    results = train_ensemble(cfgs, progress=True)
    seconds = time.perf_counter() - t0
    rows = []
    for cfg, res in zip(cfgs, results, strict=True):
        table = neuron_table(res.weights, cfg.p)
        rows.append({"dropout": cfg.dropout, "seed": cfg.seed,
                     "frac_generalizing": float(np.mean(table["label"] == GENERALIZING)),
                     "median_ipr": float(table["ipr"].median()), "threshold": table.attrs["ipr_threshold"],
                     **{k: v for k, v in res.summary.items() if isinstance(v, int | float)}})
    print(json.dumps({"seconds": seconds, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
