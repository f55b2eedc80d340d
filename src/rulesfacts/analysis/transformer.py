"""Fourier view of a one-layer transformer's token embedding (Nanda et al. 2023, Sec. 4.1), and
of the tied model's embedding (``models.tied``, PAIR's modular model), which is read the same way.

A transformer that groks modular addition embeds token a as cos/sin(2π f a / p) for a few key
frequencies f: the Fourier transform of W_E over the p number tokens concentrates its norm on
those frequencies, while a memorizing embedding is spread over all of them. We measure

- ``freq_norm[f]`` = ‖F_f‖₂², the energy of frequency f in the embedding (summed over the d
  model dimensions; F = rfft of W_E[:p] along the token axis, DC excluded from fractions);
- ``top_energy``: the share of the non-DC energy in the ``TOP_K`` strongest frequencies
  (Nanda et al. find ~5 key frequencies at p = 113); for a random embedding it is ≈ TOP_K / (p//2);
- ``ipr``: the IPR (references §1) of each embedding dimension over the tokens, as for the MLP's
  neurons, compared with a random vector's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.analysis.fourier import spectrum
from rulesfacts.analysis.ipr import ipr, random_ipr
from rulesfacts.training.rundir import Run

TOP_K = 5


def frequency_energy(embed: np.ndarray, p: int) -> np.ndarray:
    """‖F_f‖² for f = 0..p//2, F = rfft of the number-token rows W_E[:p] (shape (p(+1), d))."""
    return (spectrum(np.asarray(embed)[:p], axis=0) ** 2).sum(axis=1)


def top_energy(energy: np.ndarray, k: int = TOP_K) -> float:
    """Share of the non-DC energy in the ``k`` strongest frequencies."""
    e = np.asarray(energy, dtype=np.float64)[1:]
    return float(np.sort(e)[::-1][:k].sum() / e.sum()) if e.sum() > 0 else float("nan")


#: a frequency with less than this share of the non-DC energy is rounding, not a key frequency:
#: rounding an exactly single-frequency embedding leaves at most u² of its energy elsewhere,
#: u = 2^-24 in weights.npz (float32, ≈ 4e-15) and 2^-11 in the float16 snapshots (≈ 2.4e-7)
NEGLIGIBLE_SHARE = 1e-6


def key_frequencies(energy: np.ndarray, k: int = TOP_K) -> list[int]:
    """The ``k`` strongest non-DC frequencies, strongest first, leaving out any with a negligible
    share of the non-DC energy (a fixed one-frequency embedding has one key frequency, not k)."""
    e = np.asarray(energy, dtype=np.float64)[1:]
    return [int(f) + 1 for f in np.argsort(e)[::-1][:k] if e[f] > NEGLIGIBLE_SHARE * e.sum()]


def embedding_table(run: Run) -> pd.DataFrame:
    """Per weight snapshot: epoch, top_energy, median IPR of the embedding dimensions, and the
    logged accuracies at that epoch (the progress measure beside the grokking curve)."""
    p = run.config.p
    epochs = run.snapshot_epochs()
    rows = []
    for e in epochs:
        emb = run.snapshot(e)["embed"]
        rows.append({"epoch": e, "top_energy": top_energy(frequency_energy(emb, p)),
                     "median_ipr": float(np.nanmedian(ipr(emb[:p].T)))})
    df = pd.DataFrame(rows, columns=["epoch", "top_energy", "median_ipr"])
    cols = [c for c in ("epoch", "train_acc", "test_acc") if c in run.metrics]
    return df.merge(run.metrics[cols], on="epoch", how="left") if len(df) else df


def analyze_transformer(run: Run, out_dir: Path, options: Any = None,
                        advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The ``rulesfacts analyze`` branch for model=transformer and model=tied (whose embedding of
    the p numbers is also its unembedding): key frequencies of the final embedding, their energy
    share and its growth over the snapshots; writes embedding.csv and embedding.png into ``out_dir``."""
    from rulesfacts.io import write_text

    cfg = run.config
    p = cfg.p
    emb = run.weights()["embed"]
    energy = frequency_energy(emb, p)
    dims_ipr = ipr(emb[:p].T)
    table = embedding_table(run)
    if advance is not None:
        advance(len(run.snapshot_epochs()))
    write_text(Path(out_dir) / "embedding.csv", table.to_csv(index=False, float_format="%.6g"))
    times = (run.summary.get("epoch_train_99"), run.summary.get("epoch_test_99"))
    fig = plot_embedding(energy, table, p, Path(out_dir) / "embedding.png",
                         f"{cfg.model} p={p} α={cfg.train_frac} ξ={cfg.fact_frac} "
                         f"d={cfg.d_embed if cfg.model == 'tied' else cfg.d_model} "
                         f"lr={cfg.lr:g} wd={cfg.wd:g}", times)
    return {
        "model": cfg.model, "run_dir": str(run.path), "out_dir": str(out_dir),
        "key_frequencies": key_frequencies(energy), "top_energy": top_energy(energy),
        "top_energy_random": TOP_K / (p // 2), "median_ipr": float(np.nanmedian(dims_ipr)),
        "random_ipr": random_ipr(p), "test_acc": run.summary.get("test_acc"),
        "grok_delay": run.summary.get("grok_delay"), "n_snapshots": len(table),
        "files": ["embedding.csv", fig.name],
    }


def plot_embedding(energy: np.ndarray, table: pd.DataFrame, p: int, path: Path, title: str,
                   times: tuple[int | None, int | None] = (None, None)) -> Path:
    """Left: energy per frequency of the final embedding. Right: top-k share and accuracies over
    training (the Fourier concentration grows as the test accuracy rises), with the epochs of
    99% train and 99% test accuracy marked (the grokking delay between them)."""
    import matplotlib.pyplot as plt

    from rulesfacts.plotting import SUBSET_COLORS, save_figure

    fig, (ax_f, ax_t) = plt.subplots(1, 2, figsize=(11, 3.8))
    freqs = np.arange(len(energy))
    ax_f.bar(freqs[1:], energy[1:] / energy[1:].sum(), color="#555555")
    ax_f.set(xlabel="frequency f", ylabel="share of ‖rfft(W_E)‖²", title="embedding energy per frequency")
    if len(table):
        ax_t.plot(table["epoch"], table["top_energy"], color="black", marker=".", label=f"top-{TOP_K} energy")
        for col, key in (("train_acc", "train"), ("test_acc", "test")):
            if col in table:
                ax_t.plot(table["epoch"], table[col], color=SUBSET_COLORS[key], label=f"{key} acc")
        ax_t.axhline(TOP_K / (p // 2), color="grey", ls="--", lw=1, label="random embedding")
    t_train, t_test = times
    for t, key in ((t_train, "train"), (t_test, "test")):
        if t is not None:
            ax_t.axvline(t, color=SUBSET_COLORS[key], ls=":", lw=1)
    if t_train is not None and t_test is not None:
        ax_t.annotate("", xy=(t_test, 0.1), xytext=(t_train, 0.1), arrowprops={"arrowstyle": "<->"})
        ax_t.text((t_train + t_test) / 2, 0.12, f"grokking delay {t_test - t_train} epochs", ha="center", fontsize=8)
    ax_t.set(xlabel="epoch", ylim=(-0.02, 1.02), title="Fourier concentration vs accuracy")
    ax_t.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
