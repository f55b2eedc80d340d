"""A nonlinear kernel fitted with its n × n kernel matrix against the linearised RAF theory, as d grows.

    python benchmarks/raf_kernel_gap.py             # d = 100 … 2000 → docs/figures/raf-kernel-gap.{csv,png}, ≈ 22 min
    python benchmarks/raf_kernel_gap.py --plot-only # redraw the figure from the CSV

The learner is the kernel machine with the ReLU arc-cosine kernel (``act = relu``, centred as the
random features are; ``theory.kernels``), ε = 0.2, in two settings (``SETTINGS``): square / hinge /
logistic loss at α = 1, λ = 1, and square loss at α = 2, λ = 0.01. The theory solves its
linearisation μ1²XXᵀ/d + μ⋆²I (El Karoui 2010). Per d, a setting's ``seeds(d)`` data sets; every
seed also fits the linearised kernel on the same data (``rulesfacts simulate --kernel-matrix``), so
the gap splits into the error of the linearisation (paired difference, small standard error) and
the finite-d bias of the linear problem itself. ``--settings ridge001 --ds 1000,2000`` reruns those
rows only and keeps the rest of the CSV.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from rulesfacts.io import write_text
from rulesfacts.theory import solve_point
from rulesfacts.theory.config import RAFPoint
from rulesfacts.theory.simulate import simulate_point

FIGURES = Path(__file__).parent.parent / "docs" / "figures"
DS = (100, 200, 500, 1000, 2000)
N_TEST = 4000  # fresh points per seed; only the nonlinear-minus-linearised difference is sampled
# Two settings of the ReLU kernel learner: strong ridge (E_mem well above 0, three losses) and weak
# ridge at α = 2 (every fact fitted; the kernel's nonlinear part moves E_gen visibly at small d).
SETTINGS = {
    "ridge1": {"point": {"alpha": 1.0, "fact_frac": 0.2, "lam": 1.0}, "losses": ("square", "hinge", "logistic"),
               "seeds": lambda d: max(12, round(4000 / d))},
    "ridge001": {"point": {"alpha": 2.0, "fact_frac": 0.2, "lam": 0.01}, "losses": ("square",),
                 "seeds": lambda d: max(12, round(8000 / d))},
}


def run(name: str, ds: tuple[int, ...]) -> pd.DataFrame:
    setting, rows = SETTINGS[name], []
    for loss in setting["losses"]:
        fields = {"learner": "kernel", "act": "relu", "loss": loss, **setting["point"]}
        th = solve_point(**fields)
        for d in ds:
            seeds = setting["seeds"](d)
            out = simulate_point(RAFPoint(**fields), d=d, seeds=seeds, n_test=N_TEST, kernel_matrix=True)
            rows.append({"setting": name, **fields, **{f"theory_{k}": th[k] for k in ("e_gen", "e_mem")}, **out})
            print(f"{name} {loss:8s} d={d:5d} seeds={seeds:3d} E_gen {out['e_gen']:.4f}±{out['e_gen_se']:.4f} "
                  f"(lin {out['linearised_e_gen']:.4f}, theory {th['e_gen']:.4f}, nonlinear gap "
                  f"{out['nonlinear_gap_e_gen']:+.4f}±{out['nonlinear_gap_e_gen_se']:.4f})  E_mem {out['e_mem']:.4f}"
                  f"±{out['e_mem_se']:.4f} (theory {th['e_mem']:.4f})  {out['seconds']:.0f} s", flush=True)
    return pd.DataFrame(rows)


def _gaps(ax, d, gap, se, color, label) -> None:
    """|gap| with ±2 SE bars on log axes; hollow markers where |gap| < 2 SE (not resolved from 0)."""
    g, d, se = np.abs(np.asarray(gap)), np.asarray(d), np.asarray(se)
    shown = np.maximum(g, 1e-5)  # a gap of exactly 0 (every seed alike) is drawn at the axis floor
    ax.errorbar(d, shown, yerr=[np.minimum(2 * se, 0.9 * shown), 2 * se], fmt="-", color=color, capsize=2, lw=1)
    ok = g > 2 * se
    ax.plot(d[ok], shown[ok], "o", color=color, ms=5, label=label)
    ax.plot(d[~ok], shown[~ok], "o", mfc="none", color=color, ms=5)


def plot(df: pd.DataFrame, path: Path) -> dict[str, float]:
    """Three log-log panels: total E_gen and E_mem gaps to the theory, and the paired
    nonlinear-minus-linearised E_gen gap; returns the fitted slope of each paired gap."""
    import matplotlib.pyplot as plt

    from rulesfacts.plotting import save_figure

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.3))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    slopes = {}
    for i, ((setting, loss), g) in enumerate(df.groupby(["setting", "loss"], sort=False)):
        name = f"{loss}, α={g['alpha'].iloc[0]:g}, λ={g['lam'].iloc[0]:g}"
        for ax, metric in zip(axes[:2], ("e_gen", "e_mem"), strict=True):
            if g[f"theory_{metric}"].iloc[0] > 1e-3:  # E_mem = 0 in theory and simulation: nothing to draw
                _gaps(ax, g["d"], g[metric] - g[f"theory_{metric}"], g[f"{metric}_se"], colors[i], name)
        nl = g["nonlinear_gap_e_gen"].abs()
        resolved = nl > 2 * g["nonlinear_gap_e_gen_se"]
        if resolved.sum() >= 2:  # slope over the d where the gap stands out of its noise
            slopes[f"{setting}:{loss}"] = float(np.polyfit(np.log(g["d"][resolved]), np.log(nl[resolved]), 1)[0])
            name_nl = f"{name} (slope {slopes[f'{setting}:{loss}']:.2f} where resolved)"
        else:
            name_nl = name
        _gaps(axes[2], g["d"], g["nonlinear_gap_e_gen"], g["nonlinear_gap_e_gen_se"], colors[i], name_nl)
    d = np.array([df["d"].min(), df["d"].max()], float)
    for ax, title in zip(axes, ("E_gen: |kernel matrix − theory|", "E_mem: |kernel matrix − theory|",
                                "E_gen: |kernel matrix − linearised kernel|, same data"), strict=True):
        top = ax.get_ylim()[1]
        ax.plot(d, 0.5 * top * (d / d[0]) ** -0.5, "k--", lw=0.8, label="∝ d^-1/2")
        ax.plot(d, 0.5 * top * (d / d[0]) ** -1.0, "k:", lw=0.8, label="∝ d^-1")
        ax.set(xscale="log", yscale="log", xlabel="d", title=title)
        ax.title.set_fontsize(9)
        ax.legend(fontsize=6)
    fig.suptitle("ReLU arc-cosine kernel fitted with its n × n matrix vs the linearised theory, ε = 0.2 "
                 "(bars ±2 SE over seeds; hollow: |gap| < 2 SE)", fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)
    return slopes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ds", default=",".join(map(str, DS)), help="input dimensions, comma-separated")
    ap.add_argument("--settings", default=",".join(SETTINGS), help="which settings to run: " + ", ".join(SETTINGS))
    ap.add_argument("--plot-only", action="store_true", help="redraw the figure from the CSV")
    args = ap.parse_args()
    csv = FIGURES / "raf-kernel-gap.csv"
    if not args.plot_only:
        ds = tuple(int(v) for v in args.ds.split(","))
        new = pd.concat([run(name, ds) for name in args.settings.split(",")], ignore_index=True)
        if csv.exists():  # keep the (setting, loss, d) rows not rerun
            old, key = pd.read_csv(csv), ["setting", "loss", "d"]
            rerun = old[key].apply(tuple, axis=1).isin(set(new[key].apply(tuple, axis=1)))
            new = pd.concat([old[~rerun], new], ignore_index=True).sort_values(key, kind="stable")
        write_text(csv, new.to_csv(index=False))
    slopes = plot(pd.read_csv(csv), csv.with_suffix(".png"))
    print("fitted log-log slopes:", {k: round(v, 2) for k, v in slopes.items()})


if __name__ == "__main__":
    main()
