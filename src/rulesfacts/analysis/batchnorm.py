"""What BatchNorm does to memorizing neurons (Doshi, Das, He & Gromov 2024, Sec. 5.2: BatchNorm
"de-amplifies the output of memorizing neurons and amplifies the output of the generalizing ones").

After the activation, BN maps neuron i's output h_i to γ_i (h_i − μ_i) / √(σ_i² + ε) + β_i, so
|γ_i| is the scale it learns for that neuron, and |γ_i| · ‖W_out[:, i]‖ / √(σ_i² + ε) is the
whole gain from h_i to the logits (at the running statistics). We put both next to the neuron's
IPR (references §1): memorizing neurons (low IPR) should get the smaller scale.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rulesfacts.analysis.neurons import GENERALIZING, MEMORIZING, neuron_table
from rulesfacts.models.mlp import BN_EPS


def bn_table(weights: dict[str, np.ndarray], p: int, r: float = 2) -> pd.DataFrame:
    """``neuron_table`` plus bn_scale = |γ| and out_gain = |γ| ‖W_out[:, i]‖ / √(running var + ε)."""
    if "bn_weight" not in weights:
        raise ValueError("these weights have no BatchNorm parameters (train with batchnorm=true)")
    table = neuron_table(weights, p, r)
    gamma = np.abs(weights["bn_weight"].astype(np.float64))
    table["bn_scale"] = gamma
    table["out_gain"] = gamma * np.linalg.norm(weights["W_out"], axis=0) / np.sqrt(weights["bn_var"] + BN_EPS)
    return table


def scale_ratio(table: pd.DataFrame, column: str = "bn_scale") -> float | None:
    """Median ``column`` of generalizing over memorizing neurons (> 1: BN favours the rule)."""
    gen = table.loc[table["label"] == GENERALIZING, column]
    mem = table.loc[table["label"] == MEMORIZING, column]
    if not len(gen) or not len(mem) or float(mem.median()) == 0:
        return None
    return float(gen.median() / mem.median())


def plot_bn_vs_ipr(table: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Per-neuron BN scale |γ| and output gain against IPR, coloured by class."""
    import matplotlib.pyplot as plt

    from rulesfacts.plotting import save_figure

    colors = {GENERALIZING: "#1f77b4", MEMORIZING: "#d62728"}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, col, label in zip(axes, ("bn_scale", "out_gain"), ("BN scale |γ|", "gain |γ|·‖W_out‖/σ"), strict=True):
        for cls, color in colors.items():
            sel = table["label"] == cls
            ax.scatter(table.loc[sel, "ipr"], table.loc[sel, col], s=10, color=color, alpha=0.7,
                       label=f"{cls} ({int(sel.sum())})")
        ax.axvline(table.attrs.get("ipr_threshold", np.nan), color="grey", ls=":", lw=1)
        ax.set(xlabel="neuron IPR (combined)", ylabel=label, xscale="log")
        ax.legend(fontsize=8)
    fig.suptitle(title or "BatchNorm scale vs IPR", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
