"""Figures of the analysis: neuron classes, pruning curves and the dynamics over training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rulesfacts.analysis.analytic import phase_residual
from rulesfacts.analysis.dynamics import Dynamics
from rulesfacts.analysis.fourier import frequency_histogram, wrap_phase
from rulesfacts.analysis.neurons import GENERALIZING
from rulesfacts.plotting import CLASS_COLORS, SUBSET_COLORS, SUBSET_LABELS, plt, save_figure

CURVES = (("clean", "clean_acc"), ("facts_memorized", "facts_memorized"), ("facts_recovered", "facts_recovered"),
          ("test", "test_acc"))
ORDER_TITLES = {"low": "lowest IPR first (memorizing neurons go first)",
                "high": "highest IPR first (control: rule neurons go first)", "random": "random order"}


def plot_neurons(table: pd.DataFrame, p: int, path: Path, title: str = "") -> Path:
    """IPR histogram with the threshold, frequency use of each class, and the phase relation
    φ_out vs φ_a + φ_b (on the diagonal for the analytic solution)."""
    fig, (ax_ipr, ax_freq, ax_phase) = plt.subplots(1, 3, figsize=(14, 4))
    thr = table.attrs.get("ipr_threshold")
    logs = np.log10(table["ipr"].to_numpy())
    bins = np.linspace(np.nanmin(logs) - 0.05, 0.0, 40)
    for label, color in CLASS_COLORS.items():
        sel = table["label"] == label
        ax_ipr.hist(logs[sel.to_numpy()], bins=bins, color=color, alpha=0.8, label=f"{label} ({int(sel.sum())})")
        x = wrap_phase(table.loc[sel, "phase_a"] + table.loc[sel, "phase_b"])
        rule = label == GENERALIZING
        ax_phase.scatter(x, table.loc[sel, "phase_out"], s=8 if rule else 4, color=color if rule else "#bbbbbb",
                         alpha=0.8 if rule else 0.5, label=label, zorder=2 if rule else 1)
    gen_freqs = frequency_histogram(table.loc[table["label"] == GENERALIZING, "freq_a"], p)
    ax_freq.bar(np.arange(len(gen_freqs)), gen_freqs, color=CLASS_COLORS[GENERALIZING], label=GENERALIZING)
    if thr is not None:
        ax_ipr.axvline(np.log10(thr), color="k", ls="--", lw=1, label=f"threshold {thr:.3g}")
    ax_ipr.set(xlabel="log10 combined IPR (r=2)", ylabel="neurons", title="IPR per neuron")
    ax_freq.set(xlabel="dominant frequency of the input-a weights", ylabel="neurons",
               title="frequencies of the generalizing neurons")
    ax_phase.plot([-np.pi, np.pi], [-np.pi, np.pi], color="k", lw=0.8)
    ax_phase.set(xlabel="φ_a + φ_b (wrapped)", ylabel="φ_out", title="phase relation (analytic: diagonal)",
                 xlim=(-np.pi, np.pi), ylim=(-np.pi, np.pi))
    gen = table["label"] == GENERALIZING
    if gen.any():
        med = float(np.median(np.abs(phase_residual(table[gen]))))
        ax_phase.text(0.02, 0.95, f"median |φ_out − φ_a − φ_b| (gen.) = {med:.3f}", transform=ax_phase.transAxes,
                      fontsize=8, va="top")
    for ax in (ax_ipr, ax_freq, ax_phase):
        ax.legend(fontsize=7, loc="lower right" if ax is ax_phase else "best")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_pruning(curves: pd.DataFrame, n_memorizing: int, path: Path, title: str = "") -> Path:
    """Subset accuracies vs number of pruned neurons, one panel per pruning order."""
    orders = list(dict.fromkeys(curves["order"]))
    fig, axes = plt.subplots(1, len(orders), figsize=(5.5 * len(orders), 4), squeeze=False)
    for ax, order in zip(axes[0], orders, strict=True):
        df = curves[curves["order"] == order]
        for key, col in CURVES:
            if df[col].notna().any():
                ax.plot(df["n_pruned"], df[col], color=SUBSET_COLORS[key], label=SUBSET_LABELS[key], marker=".",
                        ms=3)
        ax.axvline(n_memorizing, color="k", ls="--", lw=1, label=f"{n_memorizing} memorizing neurons")
        ax.set(xlabel="neurons pruned", ylabel="accuracy", ylim=(-0.02, 1.02), title=ORDER_TITLES.get(order, order))
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_dynamics(dyn: Dynamics, path: Path, title: str = "") -> Path:
    """Accuracies and class counts, weight norm per class, the IPR distribution and the
    frequency power of the input weights, at every snapshot."""
    t = dyn.table
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5))
    (ax_acc, ax_norm), (ax_ipr, ax_spec) = axes
    for key, col in CURVES:
        if col in t and t[col].notna().any():
            ax_acc.plot(t["epoch"], t[col], color=SUBSET_COLORS[key], label=SUBSET_LABELS[key], marker=".")
    ax_n = ax_acc.twinx()
    for label, color in CLASS_COLORS.items():
        ax_n.plot(t["epoch"], t[f"n_{label}"], color=color, ls=":", label=f"# {label} neurons")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(-0.02, 1.02), title="accuracy and neuron classes")
    ax_n.set_ylabel("neurons")
    lines = ax_acc.get_legend_handles_labels()
    more = ax_n.get_legend_handles_labels()
    ax_acc.legend(lines[0] + more[0], lines[1] + more[1], fontsize=7, loc="center right")
    for label, color in CLASS_COLORS.items():
        ax_norm.plot(t["epoch"], t[f"norm_{label}"], color=color, label=f"Σ‖w‖² {label} neurons")
    ax_norm.plot(t["epoch"], t["norm_in"] + t["norm_out"], color="k", lw=0.8, label="total ‖W‖²")
    ax_norm.set(xlabel="epoch", ylabel="squared weight norm", title="where the weight norm sits")
    ax_norm.legend(fontsize=7)
    epochs = t["epoch"].to_numpy()
    extent_x = (-0.5, len(epochs) - 0.5)
    ax_ipr.imshow(np.log1p(dyn.ipr_hist.T), aspect="auto", origin="lower", cmap="Greys",
                  extent=(*extent_x, dyn.ipr_edges[0], dyn.ipr_edges[-1]))
    ax_ipr.axhline(np.log10(dyn.threshold), color=CLASS_COLORS[GENERALIZING], ls="--", lw=1, label="threshold")
    ax_ipr.set(xlabel="snapshot", ylabel="log10 combined IPR", title="IPR distribution per snapshot (log count)")
    ax_ipr.legend(fontsize=7)
    ac = dyn.spectra[:, 1:]  # the DC bin carries no information about a or b
    ax_spec.imshow((ac / ac.sum(axis=1, keepdims=True)).T, aspect="auto", origin="lower", cmap="viridis",
                   extent=(*extent_x, 0.5, dyn.spectra.shape[1] - 0.5))
    ax_spec.set(xlabel="snapshot", ylabel="frequency", title="share of input-weight power per frequency (no DC)")
    for ax in (ax_ipr, ax_spec):
        ticks = np.unique(np.linspace(0, len(epochs) - 1, min(6, len(epochs))).round().astype(int))
        ax.set_xticks(ticks, [str(epochs[i]) for i in ticks])
        ax.set_xlabel("epoch (snapshot)")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
