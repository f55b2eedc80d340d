"""The two stages of training with weight decay (Doshi, Das, He & Gromov 2024, abstract):
first the network groks (train and test accuracy high, the facts memorized), then it unlearns the
facts and train accuracy falls from 100% to 100·(1 − ξ)%. Where do the two stages separate, and
for how long does the first one last?

    python benchmarks/two_stage.py run --wd 3,3.5,4,4.5,5 --fact-frac 0.05,0.1,0.2   # → results/two_stage_p31.json
    python benchmarks/two_stage.py figure --tag p31   # → docs/figures/papers-two-stage-p31.png
    python benchmarks/two_stage.py run --p 97 --alpha 0.5 --width 500 --epochs 400 --wd 2,5 --fact-frac 0.1 --tag p97

One ensemble (members differ in wd and ξ, full batch, always-wrong facts so that full inversion is
train = 1 − ξ exactly). Per run, from the logged metrics (every 10 epochs):

- ``epoch_stage1``: first epoch with test ≥ 99% and facts memorized ≥ 90% (generalized, the facts
  still stored: train ≥ 1 − 0.1·ξ);
- ``epoch_half``: first epoch after it with facts memorized ≤ 50% (the middle of the drop);
- ``epoch_stage2``: first epoch after it with facts memorized ≤ 1% (train ≤ 1 − 0.99·ξ: inverted);
- ``plateau`` = epoch_stage2 − epoch_stage1 (None when a stage is not reached), and
  ``drop`` = epoch_stage2 − the last epoch before it with facts memorized ≥ 90% (how sudden the fall is).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from rulesfacts.config.train import TrainConfig
from rulesfacts.io import to_json, write_text

RESULTS = Path(__file__).parent / "results"
FIGURES = Path(__file__).parent.parent / "docs" / "figures"
HIGH, STORED, DONE = 0.99, 0.9, 0.01


def first(m: pd.DataFrame, mask: pd.Series, after: int = -1) -> int | None:
    hit = m.loc[mask & (m.epoch > after), "epoch"]
    return int(hit.iloc[0]) if len(hit) else None


def stages(metrics: list[dict[str, Any]]) -> dict[str, int | None]:
    """The stage epochs of the module docstring from a run's logged metrics."""
    m = pd.DataFrame(metrics)
    e1 = first(m, (m.facts_memorized >= STORED) & (m.test_acc >= HIGH))
    e_half = first(m, m.facts_memorized <= 0.5, e1) if e1 is not None else None
    e2 = first(m, m.facts_memorized <= DONE, e1) if e1 is not None else None
    drop = None
    if e2 is not None:
        before = m.loc[(m.epoch < e2) & (m.facts_memorized >= 0.9), "epoch"]
        drop = e2 - int(before.iloc[-1]) if len(before) else None
    return {"epoch_stage1": e1, "epoch_half": e_half, "epoch_stage2": e2,
            "plateau": e2 - e1 if e1 is not None and e2 is not None else None, "drop": drop}


def run(p: int, alpha: float, width: int, epochs: int, wds: list[float], xis: list[float], seeds: list[int],
        tag: str) -> None:
    from rulesfacts.bench.machine import machine_info
    from rulesfacts.training.trainer import train_ensemble

    base = TrainConfig(p=p, width=width, train_frac=alpha, lr=1e-2, epochs=epochs, log_every=10, n_snapshots=0)
    cfgs = [base.replace(wd=w, fact_frac=x, seed=s) for w in wds for x in xis for s in seeds]
    t = time.perf_counter()
    results = train_ensemble(cfgs, progress=False)
    seconds = time.perf_counter() - t
    keys = ("epoch", "train_acc", "test_acc", "facts_memorized", "facts_recovered")
    runs = [{"wd": c.wd, "fact_frac": c.fact_frac, "seed": c.seed, **stages(r.metrics),
             **{k: r.summary[k] for k in ("train_acc", "test_acc", "facts_memorized", "facts_recovered")},
             "curve": {k: [round(row[k], 5) for row in r.metrics] for k in keys}}
            for c, r in zip(cfgs, results, strict=True)]
    out = {"machine": machine_info(), "seconds": round(seconds, 1), "runs": runs,
           "base": {"p": p, "width": width, "train_frac": alpha, "lr": 1e-2, "epochs": epochs,
                    "fact_mode": base.fact_mode}}
    # one line: the curves make indented JSON megabytes long
    write_text(RESULTS / f"two_stage_{tag}.json", to_json(out) + "\n")
    for r in runs:
        print(json.dumps({k: v for k, v in r.items() if k != "curve"}), flush=True)


def figure(tag: str) -> None:
    from rulesfacts.plotting import SUBSET_COLORS, plt, save_figure

    data = json.loads((RESULTS / f"two_stage_{tag}.json").read_text())
    for r in data["runs"]:  # the stage epochs from the stored curves (the definitions above)
        r.update(stages([dict(zip(r["curve"], v, strict=True)) for v in zip(*r["curve"].values(), strict=True)]))
    runs = [r for r in data["runs"] if r["seed"] == min(x["seed"] for x in data["runs"])]
    xis = sorted({r["fact_frac"] for r in runs})
    wds = sorted({r["wd"] for r in runs})
    xi = xis[len(xis) // 2]
    shown = [r for r in runs if r["fact_frac"] == xi]
    fig, axes = plt.subplots(1, len(shown) + 1, figsize=(3.4 * (len(shown) + 1), 3.4))
    for ax, r in zip(axes, shown, strict=False):
        c = r["curve"]
        for key, color in (("train_acc", SUBSET_COLORS["train"]), ("test_acc", SUBSET_COLORS["test"]),
                           ("facts_memorized", SUBSET_COLORS["facts_memorized"])):
            ax.plot(c["epoch"], c[key], color=color, lw=1.2, label=key.replace("_acc", "").replace("_", " "))
        for e, ls in ((r["epoch_stage1"], ":"), (r["epoch_stage2"], "--")):
            if e is not None:
                ax.axvline(e, color="k", ls=ls, lw=0.8)
        ax.set_xscale("log")
        ax.set_title(f"wd = {r['wd']:g}, ξ = {xi:g}" + (f"\nplateau {r['plateau']} epochs" if r["plateau"] else ""),
                     fontsize=9)
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("accuracy")
    axes[0].legend(fontsize=7, loc="center left")
    ax = axes[-1]
    for x in xis:
        pts = sorted((r["wd"], r["facts_memorized"], r["plateau"]) for r in runs if r["fact_frac"] == x)
        line, = ax.plot([w for w, _, _ in pts], [f for _, f, _ in pts], "o-", label=f"ξ = {x:g}")
        for w, f, pl in pts:
            if pl is not None:
                ax.annotate(f"{pl}", (w, f), textcoords="offset points", xytext=(3, 4), fontsize=7,
                            color=line.get_color())
    ax.set_xticks(wds)
    ax.set_xlabel("weight decay")
    ax.set_ylabel("facts memorized at the last epoch")
    ax.set_title("numbers: plateau (epochs), where defined", fontsize=8)
    ax.legend(fontsize=7)
    b = data["base"]
    fig.suptitle(f"Two stages: p = {b['p']}, N = {b['width']}, α = {b['train_frac']}, full batch, lr 1e-2 "
                 "(dotted: test ≥ 99% with facts memorized ≥ 90%; dashed: facts memorized ≤ 1%)", fontsize=9)
    fig.tight_layout()
    save_figure(fig, FIGURES / f"papers-two-stage-{tag}.png")
    print("| wd | ξ | seed | test ≥ 99%, facts memorized ≥ 90% | facts memorized ≤ 50% | ≤ 1% (train = 1 − ξ) | "
          "plateau | drop | final train | final test | final facts memorized |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in data["runs"]:
        cells = [r["epoch_stage1"], r["epoch_half"], r["epoch_stage2"], r["plateau"], r["drop"]]
        print(f"| {r['wd']:g} | {r['fact_frac']:g} | {r['seed']} | "
              + " | ".join("—" if v is None else str(v) for v in cells)
              + f" | {r['train_acc']:.3f} | {r['test_acc']:.3f} | {r['facts_memorized']:.3f} |")


def floats(s: str) -> list[float]:
    return [float(x) for x in s.split(",")]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("run", "figure"))
    ap.add_argument("--p", type=int, default=31)
    ap.add_argument("--alpha", type=float, default=0.8, help="training fraction α")
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=3000)
    ap.add_argument("--wd", type=floats, default=[3.0, 3.5, 4.0, 4.5, 5.0])
    ap.add_argument("--fact-frac", type=floats, default=[0.05, 0.1, 0.2])
    ap.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=[0])
    ap.add_argument("--tag", default="p31", help="names the results file and the figure")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    if args.what == "run":
        run(args.p, args.alpha, args.width, args.epochs, args.wd, args.fact_frac, args.seeds, args.tag)
    else:
        figure(args.tag)
