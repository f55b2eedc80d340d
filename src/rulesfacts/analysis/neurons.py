"""Which hidden neurons carry the rule and which store the facts.

Per neuron k of the paper's two-layer net (W_in (N, 2p), W_out (p, N)) we read three weight
vectors: from input a (W_in[k, :p]), from input b (W_in[k, p:]) and to the outputs
(W_out[:, k]). A neuron of the Fourier algorithm is a cosine in all three (Gromov 2023, Eq. 5),
so its spectra are single spikes (IPR near 1); a neuron that stores facts has no reason to be
periodic and keeps the broad spectrum of its random init (IPR near Γ(r+1)/K^{r−1}).

Combined IPR: the geometric mean of the three IPRs. A rule neuron must be periodic in all three
vectors at the same time; the geometric mean is high only when all three are, and it is the
arithmetic mean of log IPR, the scale the classes separate on.

Labels: the threshold is read from the data (``ipr_threshold``): the best two-cluster split of
log IPR (Otsu's between-class-variance criterion), placed in the middle of the gap between the
clusters. When the IPRs form one cluster (e.g. Gromov's analytic net, all ≈ 1, or a net at
init), there is no gap to read; then each neuron is labelled by the side of the geometric
midpoint √(IPR_random · 1) between a random vector and a pure cosine it falls on.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rulesfacts.analysis.fourier import dominant
from rulesfacts.analysis.ipr import check_r, ipr, random_ipr
from rulesfacts.errors import ConfigError

GENERALIZING, MEMORIZING = "generalizing", "memorizing"
COLUMNS = ("neuron", "freq_a", "freq_b", "freq_out", "phase_a", "phase_b", "phase_out", "ipr_a", "ipr_b",
           "ipr_out", "ipr", "norm", "label")
# Ashman's D > 2: two Gaussian clusters whose means are this far apart (in pooled standard
# deviations) form a clearly bimodal mixture (Ashman, Bird & Zepf 1994).
ASHMAN_D = 2.0


def split_weights(weights: dict[str, np.ndarray], p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(from a, from b, to outputs) as three (N, p) arrays, one row per neuron."""
    if "W_in" not in weights or "W_out" not in weights:
        raise ConfigError("weights", sorted(weights), "a dict with W_in (N, 2p) and W_out (p, N)")
    w_in, w_out = np.asarray(weights["W_in"], np.float64), np.asarray(weights["W_out"], np.float64)
    n = w_in.shape[0]
    if w_in.ndim != 2 or w_in.shape[1] != 2 * p or w_out.shape != (p, n):
        raise ConfigError("weights", f"W_in {w_in.shape}, W_out {w_out.shape}",
                          f"W_in of shape (N, {2 * p}) and W_out of shape ({p}, N) for p={p}")
    return w_in[:, :p], w_in[:, p:], w_out.T


def combined_ipr(ipr_a: np.ndarray, ipr_b: np.ndarray, ipr_out: np.ndarray) -> np.ndarray:
    """Geometric mean of the three IPRs (see the module docstring for why)."""
    return np.cbrt(np.asarray(ipr_a) * np.asarray(ipr_b) * np.asarray(ipr_out))


def reference_threshold(p: int, r: float = 2) -> float:
    """√(IPR_random · 1): halfway, on the log scale, between a random vector and a pure cosine."""
    return math.sqrt(random_ipr(p, r))


def otsu_split(x: np.ndarray) -> tuple[int, np.ndarray]:
    """Index i maximising the between-class variance of sorted(x)[:i] vs sorted(x)[i:]
    (Otsu 1979, exact for 1-D data), and the sorted values."""
    xs = np.sort(np.asarray(x, dtype=np.float64))
    n = len(xs)
    i = np.arange(1, n)
    c = np.cumsum(xs)
    mu0 = c[:-1] / i
    mu1 = (c[-1] - c[:-1]) / (n - i)
    between = (i / n) * (1 - i / n) * (mu0 - mu1) ** 2
    return int(np.argmax(between)) + 1, xs


def ipr_threshold(values: np.ndarray, reference: float | None = None) -> float:
    """IPR above which a neuron counts as generalizing, read from the gap in the data.

    Split log IPR in two clusters (``otsu_split``); the threshold is the geometric middle of the
    gap between the top of the low cluster and the bottom of the high one. If ``reference`` is
    given and the data do not hold two clusters on either side of it (Ashman's D ≤ 2, or both
    cluster means on one side), return ``reference`` instead: there is no gap to read.
    """
    v = np.asarray(values, dtype=np.float64)
    x = np.log(v[np.isfinite(v) & (v > 0)])
    if len(x) < 2 or np.ptp(x) == 0:
        if reference is not None:
            return float(reference)
        return float(np.exp(x[0])) if len(x) else math.nan
    i, xs = otsu_split(x)
    lo, hi = xs[:i], xs[i:]
    threshold = float(np.exp((lo[-1] + hi[0]) / 2))
    if reference is None:
        return threshold
    spread = math.sqrt(lo.var() + hi.var())
    d = math.inf if spread == 0 else math.sqrt(2) * (hi.mean() - lo.mean()) / spread
    straddles = lo.mean() < math.log(reference) < hi.mean()
    return threshold if d > ASHMAN_D and straddles else float(reference)


def neuron_table(weights: dict[str, np.ndarray], p: int, r: float = 2,
                 threshold: float | None = None) -> pd.DataFrame:
    """One row per hidden neuron: dominant frequency and phase of its three weight vectors,
    their IPRs, the combined IPR, the neuron's weight norm and its class.

    ``threshold``: a fixed IPR threshold (e.g. the final net's, to label every snapshot of a
    run on the same scale); None reads it from these weights. It is stored in
    ``table.attrs["ipr_threshold"]``.
    """
    r = check_r(r)
    parts = split_weights(weights, p)
    freqs, phases = zip(*(dominant(w) for w in parts), strict=True)
    iprs = [ipr(w, r) for w in parts]
    total = combined_ipr(*iprs)
    if threshold is None:
        threshold = ipr_threshold(total, reference_threshold(p, r))
    norm = np.sqrt(sum((w**2).sum(axis=1) for w in parts))
    table = pd.DataFrame({
        "neuron": np.arange(len(total)),
        "freq_a": freqs[0], "freq_b": freqs[1], "freq_out": freqs[2],
        "phase_a": phases[0], "phase_b": phases[1], "phase_out": phases[2],
        "ipr_a": iprs[0], "ipr_b": iprs[1], "ipr_out": iprs[2], "ipr": total, "norm": norm,
        "label": np.where(total >= threshold, GENERALIZING, MEMORIZING),
    })
    table.attrs["ipr_threshold"] = float(threshold)
    table.attrs["r"] = r
    return table


def class_counts(table: pd.DataFrame) -> dict[str, int]:
    """Number of neurons per class (both keys always present)."""
    counts = table["label"].value_counts()
    return {f"n_{c}": int(counts.get(c, 0)) for c in (GENERALIZING, MEMORIZING)}
