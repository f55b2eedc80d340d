"""RAF data trained by the trainer against the theory: linear and random-features readouts, and a
two-layer network that learns its features, at (α, ε, λ) ∈ {1, 3} × {0.1, 0.3} × {0.01, 1}.

    python benchmarks/raf_trained.py convex            # d = 1000, 5 seeds → results/raf_trained_convex_d1000.json
    python benchmarks/raf_trained.py mlp               # the MLP (d = 250, same α, ε, λ) → raf_trained_mlp.json
    python benchmarks/raf_trained.py figure --d 400    # the readouts at that d → docs/figures/raf-trained.png,
                                                       # results/raf_trained.md

Every learner of one point trains its seeds as one ensemble (members differ in seed and data seed;
seed s draws the same data for every learner). E_gen is the error on 4000 fresh rule-labelled
inputs, E_mem the fraction of facts not predicted with their label (``e_gen``, ``e_mem`` of the run
summary); mean ± standard error over seeds, beside ``rulesfacts theory`` at the same point.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

from rulesfacts.config.train import TrainConfig
from rulesfacts.io import write_json, write_text
from rulesfacts.training.trainer import Trainer

RESULTS = Path(__file__).parent / "results"
FIGURE = Path(__file__).parent.parent / "docs" / "figures" / "raf-trained.png"
# (alpha, eps, lam): six of the eight corners of {1, 3} × {0.1, 0.3} × {0.01, 1} (α = 1 at λ = 1 with
# ε = 0.1 and λ = 0.01 with ε = 0.3 left out to keep the CPU time down)
POINTS = [(1.0, 0.1, 0.01), (1.0, 0.3, 1.0), (3.0, 0.1, 0.01), (3.0, 0.3, 0.01), (3.0, 0.1, 1.0), (3.0, 0.3, 1.0)]
CONVEX = {"linear square": ("linear", "square"), "linear logistic": ("linear", "logistic"),
          "rf square": ("rf", "square")}
RF = {"kappa": 2.0, "act": "sign"}
MLP = {"width": 100, "act": "relu", "lr": 3e-3, "epochs": 800}
GTOL = 1e-7  # L-BFGS stops at ‖∇‖_∞ ≤ GTOL·(1 + ‖Zᵀs‖_∞): far below what moves E_gen or E_mem


def measure(cfgs: list[TrainConfig]) -> dict:
    from rulesfacts.training.steps import ConvexStep

    t = time.perf_counter()
    results = Trainer(cfgs, step=ConvexStep(gtol=GTOL) if cfgs[0].model != "mlp" else None).fit()
    out: dict = {"seconds": round(time.perf_counter() - t, 1)}
    for key in ("e_gen", "e_mem", "train_acc"):
        vals = np.array([r.summary[key] for r in results], dtype=float)
        out[key], out[f"{key}_se"] = float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(len(vals)))
    return out


def theory(learner: str, loss: str, alpha: float, eps: float, lam: float) -> dict:
    from rulesfacts.theory import solve_point

    th = solve_point(learner, loss, alpha, eps, lam, **(RF if learner == "rf" else {}))
    return {"theory_e_gen": th["e_gen"], "theory_e_mem": th["e_mem"]}


def run_convex(d: int, seeds: int) -> None:
    rows = []
    for (name, (model, loss)), (alpha, eps, lam) in itertools.product(CONVEX.items(), POINTS):
        cfgs = [TrainConfig(task="raf", model=model, loss=loss, d=d, alpha=alpha, fact_frac=eps, lam=lam,
                            epochs=800, log_every=800, n_snapshots=0, test_size=4000, seed=s,
                            **({"act": RF["act"], "kappa": RF["kappa"]} if model == "rf" else {}))
                for s in range(seeds)]
        row = {"learner": name, "alpha": alpha, "eps": eps, "lam": lam, "d": d, "seeds": seeds,
               **measure(cfgs), **theory(model, loss, alpha, eps, lam)}
        rows.append(row)
        print(json.dumps(row), flush=True)
        write_json(RESULTS / f"raf_trained_convex_d{d}.json", rows)


def run_mlp(d: int, seeds: int) -> None:
    rows = []
    for alpha, eps, lam in POINTS:
        cfgs = [TrainConfig(task="raf", model="mlp", loss="square", d=d, alpha=alpha, fact_frac=eps, lam=lam,
                            log_every=50, n_snapshots=0, test_size=4000, seed=s, **MLP) for s in range(seeds)]
        row = {"learner": f"mlp N={MLP['width']} {MLP['act']}", "alpha": alpha, "eps": eps, "lam": lam, "d": d,
               "seeds": seeds, **{k: v for k, v in MLP.items() if v is not None}, **measure(cfgs)}
        rows.append(row)
        print(json.dumps(row), flush=True)
        write_json(RESULTS / "raf_trained_mlp.json", rows)


def figure(d: int) -> None:
    import matplotlib.pyplot as plt

    from rulesfacts.plotting import save_figure
    from rulesfacts.theory import theory_curve

    convex = json.loads((RESULTS / f"raf_trained_convex_d{d}.json").read_text())
    mlp_path = RESULTS / "raf_trained_mlp.json"
    mlp = json.loads(mlp_path.read_text()) if mlp_path.is_file() else []
    colors = {"linear square": "C0", "linear logistic": "C1", "rf square": "C2"}
    panels = list(itertools.product((0.1, 0.3), (0.01, 1.0)))
    fig, axes = plt.subplots(2, len(panels), figsize=(4 * len(panels), 6.5), sharex=True)
    alphas = np.geomspace(0.3, 5, 25)
    for j, (eps, lam) in enumerate(panels):
        for name, (model, loss) in CONVEX.items():
            curve = theory_curve(model, loss, alphas, eps, lam, **(RF if model == "rf" else {}))
            pts = [r for r in convex if r["learner"] == name and r["eps"] == eps and r["lam"] == lam]
            for i, key in enumerate(("e_gen", "e_mem")):
                axes[i, j].plot(curve["alpha"], curve[key], color=colors[name], lw=1.2, label=f"{name} (theory)")
                axes[i, j].errorbar([r["alpha"] for r in pts], [r[key] for r in pts],
                                    yerr=[r[f"{key}_se"] for r in pts], fmt="o", color=colors[name], ms=5)
        pts = [r for r in mlp if r["eps"] == eps and r["lam"] == lam]
        for i, key in enumerate(("e_gen", "e_mem")):
            if pts:
                axes[i, j].errorbar([r["alpha"] for r in pts], [r[key] for r in pts],
                                    yerr=[r[f"{key}_se"] for r in pts], fmt="s", color="k", ms=6, mfc="none",
                                    label=f"{pts[0]['learner']}, d={pts[0]['d']} (trained)")
            axes[i, j].set_xscale("log")
            axes[i, j].set_xticks([0.3, 0.5, 1, 2, 3, 5], ["0.3", "0.5", "1", "2", "3", "5"])
            axes[i, j].minorticks_off()
            axes[i, j].set_ylabel(key.replace("e_", "E_"))
        axes[0, j].set_title(f"ε = {eps:g}, λ = {lam:g}")
        axes[1, j].set_xlabel("α = n/d")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("RAF: trained (points, mean ± s.e. over seeds) vs state evolution (lines)")
    fig.tight_layout()
    save_figure(fig, FIGURE)
    lines = ["| learner | α | ε | λ | E_gen trained | E_gen theory | E_mem trained | E_mem theory | s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in convex + mlp:
        th = (f"{r['theory_e_gen']:.3f}", f"{r['theory_e_mem']:.3f}") if "theory_e_gen" in r else ("–", "–")
        lines.append(f"| {r['learner']} (d={r['d']}) | {r['alpha']:g} | {r['eps']:g} | {r['lam']:g} | "
                     f"{r['e_gen']:.3f} ± {r['e_gen_se']:.3f} | {th[0]} | {r['e_mem']:.3f} ± {r['e_mem_se']:.3f} | "
                     f"{th[1]} | {r['seconds']:.0f} |")
    write_text(RESULTS / "raf_trained.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("convex", "mlp", "figure"))
    ap.add_argument("--d", type=int, default=None, help="input dimension (default 1000 convex and figure, 250 mlp)")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per point (default 5 convex, 3 mlp)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: a shared machine)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    if args.what == "convex":
        run_convex(args.d or 1000, args.seeds or 5)
    elif args.what == "mlp":
        run_mlp(args.d or 250, args.seeds or 3)
    else:
        figure(args.d or 1000)
