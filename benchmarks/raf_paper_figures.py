"""The main figures of the Rules-and-Facts paper (Farné, Boncoraglio, Zdeborová 2026, arXiv
2603.25579), redrawn with this package's state evolution from the settings the paper describes.

    python benchmarks/raf_paper_figures.py      # → docs/figures/raf-paper-{linear,kernel,rf,rates}.png,
                                                #   raf-paper-rates.csv (the slope table of docs/rules-and-facts.md)

* linear: linear learners at small λ, E_gen and E_mem vs α for three fact fractions ε; the facts are
  all fitted up to the capacity α_c(ε) (dotted), then E_mem rises (the linear trade-off);
* kernel: kernel SVM vs α for several μ⋆ (the kernel's geometry allocates capacity to facts), and
  kernel ridge / SVM vs λ (the optimal λ);
* rf: random features (ReLU) vs κ = p/d (overparameterization memorizes the facts, rule unharmed);
* rates: E_gen at large α, kernel ridge and SVM against Bayes-optimal (paper §3.4: α^-1/2 proven
  for kernel ridge, conjectured for the SVM; α^-1 for Bayes), plus the local slope of the SVM's
  E_gen on a grid of (ε, λ, μ1, μ⋆).
"""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from rulesfacts.io import write_text
from rulesfacts.theory import solve_point, theory_curve
from rulesfacts.theory.capacity import alpha_c

FIGURES = Path(__file__).parent.parent / "docs" / "figures"
EPS = (0.1, 0.2, 0.3)


def _axes(n: int, title: str):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.0))
    fig.suptitle(textwrap.fill(title, 70 * n), fontsize=9)
    return fig, np.atleast_1d(axes), plt.rcParams["axes.prop_cycle"].by_key()["color"]


def _save(fig, name: str) -> str:
    from rulesfacts.plotting import save_figure

    fig.tight_layout()
    return str(save_figure(fig, FIGURES / f"raf-paper-{name}.png"))


def _log_ticks(ax, ticks) -> None:
    from matplotlib.ticker import NullFormatter

    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_minor_formatter(NullFormatter())


def _pair(ax, x, df, color, label) -> None:
    ax.plot(x, df["e_gen"], "-", color=color, label=f"{label}: E_gen")
    ax.plot(x, df["e_mem"], "--", color=color, label=f"{label}: E_mem")


def linear() -> str:
    alphas = np.linspace(0.1, 6, 60)
    fig, axes, colors = _axes(2, "linear learners, λ = 1e-4: every fact fitted up to α = 1 (square: "
                                 "interpolation) or the capacity α_c(ε) (hinge, dotted), then E_mem rises")
    for ax, loss in zip(axes, ("square", "hinge"), strict=True):
        for color, eps in zip(colors, EPS, strict=False):
            _pair(ax, alphas, theory_curve("linear", loss, alphas, fact_frac=eps, lam=1e-4), color, f"ε={eps}")
            if loss == "hinge":
                ax.axvline(alpha_c(eps), color=color, ls=":", lw=0.8)
        ax.set(xlabel="α = n/d", ylabel="error", title=f"{loss} loss", ylim=(0, 0.5))
        ax.legend(fontsize=6)
    return _save(fig, "linear")


def kernel() -> str:
    alphas = np.geomspace(0.25, 8, 40)
    lams = np.geomspace(1e-3, 1e2, 40)
    fig, axes, colors = _axes(2, "kernel methods, ε = 0.2, μ1 = 1")
    for color, mustar in zip(colors, (0.1, 0.3, 1.0), strict=False):
        df = theory_curve("kernel", "hinge", alphas, fact_frac=0.2, lam=0.01, mu1=1.0, mustar=mustar)
        _pair(axes[0], alphas, df, color, f"μ⋆={mustar}")
    axes[0].set(xscale="log", xlabel="α = n/d", ylabel="error", title="kernel SVM, λ = 0.01: μ⋆ allocates "
                "capacity to facts")
    _log_ticks(axes[0], (0.25, 0.5, 1, 2, 4, 8))
    for color, loss in zip(colors, ("square", "hinge"), strict=False):
        df = pd.DataFrame([solve_point("kernel", loss, 2.0, 0.2, lam, mu1=1.0, mustar=0.5) for lam in lams])
        _pair(axes[1], lams, df, color, f"kernel {loss}")
        best = int(df["e_gen"].idxmin())
        axes[1].plot(lams[best], df["e_gen"][best], "o", color=color, ms=4)
    axes[1].set(xscale="log", xlabel="λ", ylabel="error", title="α = 2, μ⋆ = 0.5: E_gen vs E_mem along λ (● best λ)")
    for ax in axes:
        ax.legend(fontsize=6)
    return _save(fig, "kernel")


def random_features() -> str:
    kappas = np.geomspace(0.25, 16, 30)
    fig, axes, colors = _axes(1, "random features (ReLU), α = 2, ε = 0.2, λ = 1e-3: more features memorize "
                                 "the facts, the rule is unharmed")
    for color, loss in zip(colors, ("square", "hinge"), strict=False):
        df = pd.DataFrame([solve_point("rf", loss, 2.0, 0.2, 1e-3, kappa=k, act="relu") for k in kappas])
        _pair(axes[0], kappas, df, color, loss)
    axes[0].set(xscale="log", xlabel="κ = p/d", ylabel="error")
    _log_ticks(axes[0], (0.25, 0.5, 1, 2, 4, 8, 16))
    axes[0].legend(fontsize=6)
    return _save(fig, "rf")


def rates() -> tuple[str, pd.DataFrame]:
    alphas = np.geomspace(10, 1e4, 40)
    fig, axes, colors = _axes(1, "large α, ε = 0.2: kernel ridge and kernel SVM (μ1 = μ⋆ = 1, λ = 0.1) vs "
                                 "Bayes-optimal")
    ax = axes[0]
    curves = {"kernel ridge": theory_curve("kernel", "square", alphas, fact_frac=0.2, lam=0.1, mu1=1.0, mustar=1.0),
              "kernel SVM": theory_curve("kernel", "hinge", alphas, fact_frac=0.2, lam=0.1, mu1=1.0, mustar=1.0),
              "Bayes-optimal": theory_curve("bayes", alphas=alphas, fact_frac=0.2)}
    for color, (name, df) in zip(colors, curves.items(), strict=False):
        tail = df["alpha"] >= 1000
        slope = float(np.polyfit(np.log(df["alpha"][tail]), np.log(df["e_gen"][tail]), 1)[0])
        ax.plot(df["alpha"], df["e_gen"], "-", color=color, label=f"{name} (slope {slope:.3f} on α ≥ 1000)")
        print(f"{name}: E_gen slope {slope:.4f} on α ≥ 1000, E_gen(α=1e4) = {df['e_gen'].iloc[-1]:.5f}")
    ax.set(xscale="log", yscale="log", xlabel="α = n/d", ylabel="E_gen")
    ax.legend(fontsize=7)
    # the SVM's local slope on a grid: the paper's conjecture says -1/2 for every ε > 0, λ, μ1, μ⋆
    rows = []
    grid = np.geomspace(1000, 1e4, 6)
    for eps, lam, (mu1, mustar) in itertools.product((0.1, 0.3), (0.1, 1.0), ((1.0, 1.0), (0.5, 0.3))):
        row = {"fact_frac": eps, "lam": lam, "mu1": mu1, "mustar": mustar}
        for loss in ("square", "hinge"):
            df = theory_curve("kernel", loss, grid, fact_frac=eps, lam=lam, mu1=mu1, mustar=mustar)
            row[f"slope_{loss}"] = float(np.polyfit(np.log(grid), np.log(df["e_gen"]), 1)[0])
        rows.append(row)
    return _save(fig, "rates"), pd.DataFrame(rows)


def main() -> None:
    made = [linear(), kernel(), random_features()]
    png, slopes = rates()
    made.append(png)
    write_text(FIGURES / "raf-paper-rates.csv", slopes.to_csv(index=False))
    print("\n".join(made))
    print("| ε | λ | μ1 | μ⋆ | kernel ridge slope | kernel SVM slope |\n|---|---|---|---|---|---|")
    for r in slopes.itertuples():
        print(f"| {r.fact_frac:g} | {r.lam:g} | {r.mu1:g} | {r.mustar:g} | {r.slope_square:.4f} "
              f"| {r.slope_hinge:.4f} |")


if __name__ == "__main__":
    main()
