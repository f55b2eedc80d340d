"""Memorization scores on corrupted modular arithmetic: do they find the facts?

    python benchmarks/memscore_modular.py                      # p = 97, α = 0.5, ξ = 0.2, wd 0, 8 members
    python benchmarks/memscore_modular.py --width 500 --epochs 1000 --batch-size 0 --init-scale 0.05

Each member trains on a random half of the training set (a quarter of all p² pairs), as one batched
ensemble; one network trains on the whole set to state the cost as a multiple of one training run.
The defaults are members that learn the rule from their half and still store their facts: a
narrow network (N = 280: too few neurons to store every pair of the half as a fact, enough for the
rule and most of the facts), small initialisation, minibatches of 294 pairs, 2500 epochs
(docs/memorization-scores.md has the measurements behind them). Every --log-every epochs the score
is also computed from the members as they are then, so the result shows ROC AUC against training
time. Writes results/memscore_modular_p<p>.json and the histogram / (a, b) cells to
docs/figures/memscore-modular-p<p>-*.png.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from rulesfacts.analysis.memscore import (
    HISTOGRAM,
    TOP,
    member_correct,
    memorization_scores,
    precision_at,
    roc_auc,
    subset_masks,
    write_outputs,
)
from rulesfacts.bench.machine import machine_info
from rulesfacts.config.train import TrainConfig
from rulesfacts.io import write_json
from rulesfacts.tasks import make_split
from rulesfacts.training.callbacks import Callback

RESULTS = Path(__file__).parent / "results"
FIGURES = Path(__file__).parent.parent / "docs" / "figures"


class ScoreEveryLog(Callback):
    """ROC AUC, precision at the facts and the members' accuracies at every log epoch."""

    def __init__(self, cfg: TrainConfig, members: int, keep: float, seed: int):
        self.full = make_split(cfg)
        self.masks = subset_masks(self.full.n_train, members, keep, seed)
        self.rows: list[dict] = []
        self.t0 = time.perf_counter()

    def on_log(self, trainer, epoch: int) -> None:
        correct, masks, facts = member_correct(trainer, self.full), self.masks, self.full.is_fact
        k_in, k_out = masks.sum(0), (~masks).sum(0)
        ok = (k_in > 0) & (k_out > 0)
        score = (correct & masks).sum(0) / np.maximum(k_in, 1) - (correct & ~masks).sum(0) / np.maximum(k_out, 1)
        last = [r[-1] for r in trainer.rows if r]
        self.rows.append({
            "epoch": epoch, "roc_auc": roc_auc(score[ok], facts[ok]),
            "precision_at_facts": precision_at(np.where(ok, score, -np.inf), facts, int(facts.sum())),
            "mean_score_facts": float(score[ok & facts].mean()), "mean_score_clean": float(score[ok & ~facts].mean()),
            "member_test_acc": [round(r["test_acc"], 4) for r in last],
            "member_facts_memorized": [round(r["facts_memorized"], 4) for r in last],
            "seconds": round(time.perf_counter() - self.t0, 1)})
        r = self.rows[-1]
        print(f"epoch {epoch:5d}  AUC {r['roc_auc']:.3f}  precision {r['precision_at_facts']:.3f}  "
              f"member test acc {np.mean(r['member_test_acc']):.3f}  "
              f"facts stored {np.mean(r['member_facts_memorized']):.3f}", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--p", type=int, default=97)
    ap.add_argument("--train-frac", type=float, default=0.5)
    ap.add_argument("--fact-frac", type=float, default=0.2)
    ap.add_argument("--width", type=int, default=280)
    ap.add_argument("--init-scale", type=float, default=0.03)
    ap.add_argument("--batch-size", type=int, default=294)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--epochs", type=int, default=2500)
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--members", type=int, default=8)
    ap.add_argument("--keep", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0,
                    help="seed of the split, the facts, the subsets and (seed, seed + 1, ...) the members; "
                         "other than 0 the result goes to ..._seed<seed>.json and the figures are left as they are")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = TrainConfig(p=args.p, train_frac=args.train_frac, fact_frac=args.fact_frac, width=args.width, wd=0.0,
                      init_scale=args.init_scale, batch_size=args.batch_size, lr=args.lr, epochs=args.epochs,
                      log_every=args.log_every, n_snapshots=0, seed=args.seed)
    curve = ScoreEveryLog(cfg, args.members, args.keep, seed=args.seed)
    t0 = time.perf_counter()
    result = memorization_scores(cfg, members=args.members, keep=args.keep, seed=args.seed, progress=False,
                                 callbacks=[curve])
    wall = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp())
    write_outputs(result, cfg, tmp)
    tag = f"p{args.p}"
    if args.seed == 0:
        for name in (HISTOGRAM, TOP):
            shutil.copy(tmp / name, FIGURES / f"memscore-modular-{tag}-{name.removeprefix('memscore-')}")
    keys = ("p", "train_frac", "fact_frac", "fact_mode", "width", "act", "loss", "init_scale", "lr", "batch_size",
            "epochs", "wd", "seed")
    out = {"config": {k: v for k, v in cfg.to_dict().items() if k in keys},
           **result.summary(), "wall_seconds": round(wall, 1),
           "by_subset": result.table.groupby("is_fact")[["score", "acc_in", "acc_out"]]
           .mean().rename(index={False: "clean", True: "facts"}).to_dict(orient="index"),
           "by_epoch": curve.rows, "machine": machine_info()}
    write_json(RESULTS / f"memscore_modular_{tag}{f'_seed{args.seed}' if args.seed else ''}.json", out)
    print(json.dumps({k: v for k, v in out.items() if k != "by_epoch"}, indent=1, default=str))
