"""PAIR's five-neuron model on a fixed circular embedding, and its "reverse grokking" of a small
model without weight decay (the explorable "Do Machine Learning Models Memorize or Generalize?",
Pearce et al. 2023).

    python benchmarks/pair_fixed_embed.py five --seeds 0,1,2          # → results/pair_fixed_embed.json
    python benchmarks/pair_fixed_embed.py search --embed learned --d-embed 2,4 --width 5,24 \\
        --train-frac 0.3 --lrs 1e-2,1e-3 --init-scales default,0.02 --epochs 20000 --tag d2-4
                                                                     # → results/pair_reverse_<tag>.json
    python benchmarks/pair_fixed_embed.py figure --tag best           # → docs/figures/papers-pair-five-neurons.png

``five``: a + b mod 67 on the unordered pairs a ≤ b, 30% for training, the tied model on the fixed
circle (``embed = "circle"``, d = 2), 5 ReLU neurons, AdamW lr 1e-2, betas (0.9, 0.98), decoupled
weight decay 1e-3, 15,000 full-batch steps, ξ = 0 and ξ = 0.1 (always-wrong facts) for each seed,
as one batched ensemble. The article's notebook divides the cross-entropy by p as well; with Adam
that only rescales the gradients, which Adam's update m/(√v + ε) undoes except through ε: the loss
CE/p with ε is exactly CE with ε·p, so the runs take ``adam_eps`` = 67·1e-8. Per run: the curves
(train, test, facts memorized and recovered, train loss), the final W_in and W_out, the angles ω_k
of W_in's columns (the direction each neuron reads) and β_k of W_out's rows (the direction it
writes), and the star: β_k − 2ω_k wrapped to (−180°, 180°] (0 for every neuron of the exact
angle-doubling construction, ``tests/models/test_tied_circle.star_weights``).

``search``: wd 0, the grid of the flags (one ensemble per (d_embed, width, train_frac); members:
lr × init_scale × seed), ξ = 0. Per run: the highest test accuracy and its epoch, the final train
and test accuracy, the final train loss; ``reverse`` when the test accuracy fell by at least 0.3
from a peak of at least 0.5 while the training set stayed fit (train ≥ 0.99 at the end).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from rulesfacts.config.train import TrainConfig
from rulesfacts.io import to_json, write_text

RESULTS = Path(__file__).parent / "results"
FIGURE = Path(__file__).parent.parent / "docs" / "figures" / "papers-pair-five-neurons.png"
P = 67
BASE = dict(task="modular", p=P, pairs="unordered", model="tied", act="relu", loss="ce", betas=(0.9, 0.98),
            fact_mode="wrong", n_snapshots=0, device="cpu")
FIVE = dict(BASE, embed="circle", d_embed=2, width=5, train_frac=0.3, lr=1e-2, wd=1e-3, adam_eps=P * 1e-8,
            epochs=15000, log_every=100)
CURVE_KEYS = ("epoch", "train_acc", "test_acc", "facts_memorized", "facts_recovered", "train_loss", "norm_in",
              "norm_out")
DROP, PEAK, FIT = 0.3, 0.5, 0.99


def curve(metrics: list[dict[str, Any]]) -> dict[str, list]:
    """The logged columns, 6 significant digits (the train loss falls to 1e-8 and below)."""
    return {k: [None if r.get(k) is None or r[k] != r[k] else float(f"{float(r[k]):.6g}") for r in metrics]
            for k in CURVE_KEYS}


def star(w_in: np.ndarray, w_out: np.ndarray) -> dict[str, Any]:
    """Angles (degrees) of each neuron's read direction ω (W_in column) and write direction β
    (W_out row), their norms, and β − 2ω wrapped to (−180, 180]."""
    omega = np.arctan2(w_in[1], w_in[0])
    beta = np.arctan2(w_out[:, 1], w_out[:, 0])
    off = np.angle(np.exp(1j * (beta - 2 * omega)))
    order = np.argsort(omega)
    gaps = np.diff(np.concatenate([omega[order], omega[order][:1] + 2 * np.pi]))
    return {"read_deg": np.degrees(omega).round(2).tolist(), "write_deg": np.degrees(beta).round(2).tolist(),
            "read_norm": np.linalg.norm(w_in, axis=0).round(4).tolist(),
            "write_norm": np.linalg.norm(w_out, axis=1).round(4).tolist(),
            "write_minus_2read_deg": np.degrees(off).round(2).tolist(),
            "max_abs_write_minus_2read_deg": round(float(np.degrees(np.abs(off)).max()), 2),
            "read_gaps_deg": np.degrees(gaps).round(2).tolist()}


def five(seeds: list[int], epochs: int) -> None:
    from rulesfacts.bench.machine import machine_info
    from rulesfacts.training.trainer import train_ensemble

    cfgs = [TrainConfig(**FIVE).replace(fact_frac=x, seed=s, epochs=epochs) for s in seeds for x in (0.0, 0.1)]
    t = time.perf_counter()
    results = train_ensemble(cfgs, progress=False)
    seconds = time.perf_counter() - t
    runs = []
    for c, r in zip(cfgs, results, strict=True):
        s = r.summary
        runs.append({"seed": c.seed, "fact_frac": c.fact_frac, "n_train": s["n_train"], "n_facts": s["n_facts"],
                     **{k: s.get(k) for k in ("train_acc", "test_acc", "clean_acc", "facts_memorized",
                                              "facts_recovered", "train_loss", "test_loss", "epoch_test_99",
                                              "epoch_train_99")},
                     "max_train_minus_test": round(max(a - b for a, b in zip(
                         (m["clean_acc"] for m in r.metrics), (m["test_acc"] for m in r.metrics), strict=True)), 4),
                     "star": star(*(np.asarray(r.weights[k], np.float64) for k in ("W_in", "W_out"))),
                     "W_in": np.round(r.weights["W_in"], 5).tolist(), "W_out": np.round(r.weights["W_out"], 5).tolist(),
                     "curve": curve(r.metrics)})
    out = {"machine": machine_info(), "seconds": round(seconds, 1), "n_runs": len(cfgs),
           "config": {k: v for k, v in cfgs[0].to_dict().items() if k in FIVE}, "runs": runs}
    write_text(RESULTS / "pair_fixed_embed.json", to_json(out) + "\n")
    print(f"{len(cfgs)} runs in {seconds:.0f} s", flush=True)
    for r in runs:
        print(json.dumps({k: v for k, v in r.items() if k not in ("curve", "W_in", "W_out", "star")}
                         | {"star_max_off": r["star"]["max_abs_write_minus_2read_deg"]}), flush=True)


def search(args: argparse.Namespace) -> None:
    from rulesfacts.bench.machine import machine_info
    from rulesfacts.training.trainer import train_ensemble

    runs = []
    t_all = time.perf_counter()
    for d in args.d_embed:
        for width in args.width:
            for frac in args.train_frac:
                base = TrainConfig(**BASE, embed=args.embed, d_embed=d, width=width, train_frac=frac, wd=0.0,
                                   fact_frac=0.0, epochs=args.epochs, log_every=args.log_every)
                cfgs = [base.replace(lr=lr, init_scale=None if sc == "default" else float(sc), seed=s)
                        for lr in args.lrs for sc in args.init_scales for s in args.seeds]
                t = time.perf_counter()
                results = train_ensemble(cfgs, progress=False)
                seconds = time.perf_counter() - t
                for c, r in zip(cfgs, results, strict=True):
                    m = r.metrics
                    best = max(m, key=lambda row: row["test_acc"])
                    last = m[-1]
                    rev = bool(best["test_acc"] >= PEAK and best["test_acc"] - last["test_acc"] >= DROP
                               and last["train_acc"] >= FIT)
                    row = {"embed": c.embed, "d_embed": d, "width": width, "train_frac": frac, "lr": c.lr,
                           "init_scale": c.init_scale, "seed": c.seed, "peak_test": round(best["test_acc"], 4),
                           "peak_epoch": best["epoch"], "final_train": round(last["train_acc"], 4),
                           "final_test": round(last["test_acc"], 4), "final_train_loss": last["train_loss"],
                           "reverse": rev, "ensemble_seconds": round(seconds, 1)}
                    print(json.dumps(row), flush=True)
                    runs.append(row | {"curve": curve(m)})
    out = {"machine": machine_info(), "seconds": round(time.perf_counter() - t_all, 1),
           "grid": {"embed": args.embed, "d_embed": args.d_embed, "width": args.width, "train_frac": args.train_frac,
                    "lrs": args.lrs, "init_scales": args.init_scales, "seeds": args.seeds, "epochs": args.epochs,
                    "wd": 0.0, "p": P, "pairs": "unordered", "loss": "ce"},
           "reverse_rule": {"peak_at_least": PEAK, "drop_at_least": DROP, "final_train_at_least": FIT}, "runs": runs}
    write_text(RESULTS / f"pair_reverse_{args.tag}.json", to_json(out) + "\n")


def figure(reverse_tag: str | None) -> None:
    from rulesfacts.plotting import SUBSET_COLORS, plt, save_figure

    data = json.loads((RESULTS / "pair_fixed_embed.json").read_text())
    runs = data["runs"]
    seed0 = min(r["seed"] for r in runs)
    shown = [r for r in runs if r["seed"] == seed0]
    rev = None
    if reverse_tag:
        found = json.loads((RESULTS / f"pair_reverse_{reverse_tag}.json").read_text())["runs"]
        rev = max(found, key=lambda r: (r["reverse"], r["peak_test"] - r["final_test"]))
    n = len(shown) + 1 + (rev is not None)
    fig, axes = plt.subplots(1, n, figsize=(4.0 * n, 3.6))
    for ax, r in zip(axes, shown, strict=False):
        c = r["curve"]
        ax.plot(c["epoch"], c["train_acc"], color=SUBSET_COLORS["train"], lw=1.2, label="train")
        ax.plot(c["epoch"], c["test_acc"], color=SUBSET_COLORS["test"], lw=1.2, label="test")
        if r["fact_frac"] > 0:
            ax.plot(c["epoch"], c["facts_memorized"], color=SUBSET_COLORS["facts_memorized"], lw=1.2,
                    label="facts memorized")
            ax.plot(c["epoch"], c["facts_recovered"], color=SUBSET_COLORS["facts_recovered"], lw=1.2,
                    label="facts recovered")
        ax.set(xlabel="step", ylim=(-0.02, 1.02), title=f"five neurons, ξ = {r['fact_frac']:g}, seed {r['seed']}",
               xticks=np.linspace(0, c["epoch"][-1], 4))
        ax.legend(fontsize=7, loc="upper left" if r["fact_frac"] > 0 else "lower right")
    axes[0].set_ylabel("accuracy")
    ax = axes[len(shown)]
    r = shown[0]
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(t), np.sin(t), color="0.8", lw=0.8)
    w_out = np.asarray(r["W_out"])
    w_in = np.asarray(r["W_in"])
    u_out = w_out / np.linalg.norm(w_out, axis=1, keepdims=True)
    order = np.argsort(np.arctan2(w_in[1], w_in[0]))
    path = u_out[np.concatenate([order, order[:1]])]
    ax.plot(path[:, 0], path[:, 1], color=SUBSET_COLORS["test"], lw=1.0, label="W_out rows, in read order")
    for k in range(len(u_out)):
        ax.annotate(str(list(order).index(k)), u_out[k] * 1.15, ha="center", va="center", fontsize=8)
    u_in = w_in / np.linalg.norm(w_in, axis=0, keepdims=True)
    ax.scatter(u_in[0], u_in[1], color=SUBSET_COLORS["train"], s=14, zorder=3, label="W_in columns")
    ax.set(aspect="equal", xlim=(-1.35, 1.35), ylim=(-1.35, 1.35), xticks=[], yticks=[],
           title=f"seed {r['seed']}, ξ = {r['fact_frac']:g}: |β − 2ω| ≤ "
                 f"{r['star']['max_abs_write_minus_2read_deg']:.0f}°")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=1, frameon=False)
    if rev is not None:
        ax = axes[-1]
        c = rev["curve"]
        ax.plot(c["epoch"], c["train_acc"], color=SUBSET_COLORS["train"], lw=1.2, label="train")
        ax.plot(c["epoch"], c["test_acc"], color=SUBSET_COLORS["test"], lw=1.2, label="test")
        ax2 = ax.twinx()
        ax2.plot(c["epoch"], c["train_loss"], color="0.4", lw=0.8, ls="--", label="train loss")
        ax2.set_yscale("log")
        ax2.set_ylabel("train loss (dashed)")
        ax.set(xlabel="step", ylim=(-0.02, 1.02), xscale="log",
               title=f"no decay: learned d = {rev['d_embed']}, N = {rev['width']}, α = {rev['train_frac']:g}")
        ax.legend(fontsize=7, loc="center left")
    title = "a + b mod 67 (a ≤ b): five ReLU neurons on the fixed circle, 30% train, AdamW lr 1e-2, wd 1e-3"
    fig.suptitle(title + ("; right: a learned embedding without weight decay" if rev is not None else ""), fontsize=9)
    fig.tight_layout()
    save_figure(fig, FIGURE)


def floats(s: str) -> list[float]:
    return [float(x) for x in s.split(",")]


def ints(s: str) -> list[int]:
    return [int(x) for x in s.split(",")]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("five", "search", "figure"))
    ap.add_argument("--seeds", type=ints, default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=None, help="five: 15000; search: 20000")
    ap.add_argument("--embed", default="learned", help="search: learned | circle")
    ap.add_argument("--d-embed", type=ints, default=[2, 4])
    ap.add_argument("--width", type=ints, default=[5, 24])
    ap.add_argument("--train-frac", type=floats, default=[0.3])
    ap.add_argument("--lrs", type=floats, default=[1e-2, 1e-3])
    ap.add_argument("--init-scales", type=lambda s: s.split(","), default=["default", "0.02"])
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--tag", default="search", help="search: names the results file; figure: the search shown")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    if args.what == "five":
        five(args.seeds, args.epochs or FIVE["epochs"])
    elif args.what == "search":
        args.epochs = args.epochs or 20000
        search(args)
    else:
        figure(args.tag if args.tag != "search" else None)
