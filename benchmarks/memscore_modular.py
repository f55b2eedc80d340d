"""Memorization scores on corrupted modular arithmetic: do they find the facts?

    python benchmarks/memscore_modular.py                      # p = 97, α = 0.5, ξ = 0.2, wd 0, 8 members
    python benchmarks/memscore_modular.py --p 31 --train-frac 0.9 --width 128

Trains the members (each on a random half of the training set) as one batched ensemble and one
network on the whole set (to state the cost as a multiple of one training run); writes
results/memscore_<task>.json and the histogram / (a, b) cells to docs/figures/memscore-modular-*.png.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import torch

from rulesfacts.analysis.memscore import HISTOGRAM, TOP, memorization_scores, write_outputs
from rulesfacts.bench.machine import machine_info
from rulesfacts.config.train import TrainConfig
from rulesfacts.io import write_json

RESULTS = Path(__file__).parent / "results"
FIGURES = Path(__file__).parent.parent / "docs" / "figures"

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--p", type=int, default=97)
    ap.add_argument("--train-frac", type=float, default=0.5)
    ap.add_argument("--fact-frac", type=float, default=0.2)
    ap.add_argument("--width", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=1000)
    ap.add_argument("--members", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = TrainConfig(p=args.p, train_frac=args.train_frac, fact_frac=args.fact_frac, width=args.width, wd=0.0,
                      epochs=args.epochs, log_every=50, n_snapshots=0)
    result = memorization_scores(cfg, members=args.members, progress=False)
    tmp = Path(tempfile.mkdtemp())
    write_outputs(result, cfg, tmp)
    tag = f"p{args.p}"
    for name in (HISTOGRAM, TOP):
        shutil.copy(tmp / name, FIGURES / f"memscore-modular-{tag}-{name.removeprefix('memscore-')}")
    out = {"config": {k: v for k, v in cfg.to_dict().items() if k in ("p", "train_frac", "fact_frac", "width",
                                                                      "epochs", "wd", "fact_mode")},
           **result.summary(), "by_subset": result.table.groupby("is_fact")[["score", "acc_in", "acc_out"]]
           .mean().rename(index={False: "clean", True: "facts"}).to_dict(orient="index"),
           "machine": machine_info()}
    write_json(RESULTS / f"memscore_modular_{tag}.json", out)
    print(json.dumps(out, indent=1, default=str))
