"""Inverse participation ratio of a weight vector's Fourier spectrum (Doshi, Das, He & Gromov
2024, Sec. 4; their public code: normalised |rfft| magnitudes, summed to the power 2r).

IPR_r(u) = Σ_k v_k^{2r} with v = |û| / ‖û‖₂. A pure cosine puts all weight in one bin: IPR = 1.
A random Gaussian vector spreads it over all K = p//2 + 1 bins: IPR ≈ Γ(r+1) / K^{r−1}
(|û_k|² are roughly i.i.d. exponential, whose r-th moment is Γ(r+1) times the mean^r).
"""

from __future__ import annotations

import math

import numpy as np

from rulesfacts.analysis.fourier import spectrum
from rulesfacts.errors import ConfigError


def check_r(r: float) -> float:
    """r must exceed 1: at r = 1 the sum is Σ v_k² = 1 for every vector and says nothing."""
    if isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r) or r <= 1:
        raise ConfigError("r", r, "a number > 1 (at r = 1 every vector has IPR 1)")
    return float(r)


def ipr(w: np.ndarray, r: float = 2, axis: int = -1) -> np.ndarray:
    """IPR_r of the normalised rfft magnitudes of ``w`` along ``axis`` (NaN for a zero vector,
    e.g. a pruned neuron, whose spectrum has no shape)."""
    r = check_r(r)
    s = spectrum(w, axis=axis)
    norm = np.sqrt((s**2).sum(axis=axis, keepdims=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        v = s / norm
    return np.power(v, 2 * r).sum(axis=axis)


def random_ipr(n: int, r: float = 2) -> float:
    """Expected IPR_r of a random Gaussian vector of length ``n`` (the memorizing end of the
    scale): Γ(r+1) / K^{r−1} with K = n//2 + 1 spectral bins (large-K approximation)."""
    r = check_r(r)
    return math.gamma(r + 1) / (n // 2 + 1) ** (r - 1)
