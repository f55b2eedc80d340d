"""The network's insides at every weight snapshot of a run: how many neurons are periodic, where
the weight norm sits and which frequencies the net uses, epoch by epoch.

This is what shows the two stages of Doshi et al. (2024, Sec. 4): first every neuron helps
memorize (IPRs stay at their random-init level while train accuracy rises), then rule neurons
emerge (IPR jumps towards 1 and test accuracy follows); with weight decay the memorizing neurons
then lose their norm and the facts get "inverted" to their true labels.

Every snapshot is labelled with one fixed threshold, the final network's (``neuron_table``),
so the class counts of different epochs are on one scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rulesfacts.analysis.fourier import spectrum
from rulesfacts.analysis.neurons import GENERALIZING, MEMORIZING, class_counts, neuron_table, split_weights
from rulesfacts.training.rundir import Run

METRIC_COLUMNS = ("train_acc", "clean_acc", "facts_memorized", "facts_recovered", "test_acc")
N_IPR_BINS = 40


@dataclass(frozen=True)
class Dynamics:
    """Per snapshot: the table (one row per epoch), the frequency power of the input weights
    (n_snapshots, p//2 + 1, summed over neurons, each row normalised to sum 1) and the
    histogram of log10 combined IPR (n_snapshots, N_IPR_BINS) on ``ipr_edges``."""

    table: pd.DataFrame
    spectra: np.ndarray
    ipr_hist: np.ndarray
    ipr_edges: np.ndarray
    threshold: float


def snapshot_row(weights: dict[str, np.ndarray], p: int, r: float, threshold: float) -> tuple[dict, np.ndarray,
                                                                                              pd.DataFrame]:
    """Summary numbers, input-weight frequency power and neuron table of one weight set."""
    table = neuron_table(weights, p, r, threshold=threshold)
    sq = table["norm"].to_numpy() ** 2
    gen = (table["label"] == GENERALIZING).to_numpy()
    ipr = table["ipr"].to_numpy()
    row = {
        **class_counts(table),
        "ipr_median": float(np.nanmedian(ipr)),
        "ipr_q10": float(np.nanquantile(ipr, 0.1)),
        "ipr_q90": float(np.nanquantile(ipr, 0.9)),
        "norm_in": float((np.asarray(weights["W_in"], np.float64) ** 2).sum()),
        "norm_out": float((np.asarray(weights["W_out"], np.float64) ** 2).sum()),
        f"norm_{GENERALIZING}": float(sq[gen].sum()),
        f"norm_{MEMORIZING}": float(sq[~gen].sum()),
    }
    a, b, _ = split_weights(weights, p)
    power = (spectrum(a) ** 2 + spectrum(b) ** 2).sum(axis=0)
    return row, power / power.sum(), table


def run_dynamics(run: Run, r: float = 2, threshold: float | None = None,
                 progress: Callable[[int], None] | None = None) -> Dynamics:
    """``snapshot_row`` at every snapshot of ``run``, joined with the logged metrics."""
    p = run.config.p
    if threshold is None:
        threshold = neuron_table(run.weights(), p, r).attrs["ipr_threshold"]
    rows, spectra, iprs = [], [], []
    for epoch in run.snapshot_epochs():
        row, power, table = snapshot_row(run.snapshot(epoch), p, r, threshold)
        rows.append({"epoch": epoch, **row})
        spectra.append(power)
        iprs.append(np.log10(table["ipr"].to_numpy()))
        if progress is not None:
            progress(1)
    table = pd.DataFrame(rows)
    metrics = run.metrics[["epoch", *[c for c in METRIC_COLUMNS if c in run.metrics]]]
    if len(table):
        table = table.merge(metrics, on="epoch", how="left")
    edges = np.linspace(np.log10(_floor_ipr(p, r)), 0.0, N_IPR_BINS + 1)
    hist = np.array([np.histogram(np.clip(x, edges[0], edges[-1]), edges)[0] for x in iprs]).reshape(-1, N_IPR_BINS)
    return Dynamics(table, np.array(spectra).reshape(len(rows), p // 2 + 1), hist, edges, float(threshold))


def _floor_ipr(p: int, r: float) -> float:
    """The smallest possible IPR_r: all K = p//2 + 1 bins equal, K^{1−r}."""
    return (p // 2 + 1) ** (1 - r)
