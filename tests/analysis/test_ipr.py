"""IPR against closed forms: 1 for a pure cosine, 1/2 for two equal cosines, Γ(r+1)/K^{r−1}
on average for random vectors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rulesfacts.analysis.ipr import ipr, random_ipr
from rulesfacts.errors import ConfigError
from tests.tolerance import U_FLOAT64, assert_within, gamma


def ipr_rounding(r: float, p: int) -> float:
    """Relative float64 error of IPR_r = Σ_k v_k^{2r}, v = s/‖s‖ over K = p//2 + 1 bins: the norm
    (γ_{K+2}), each division and power (2r + 2 roundings of v's error), the final sum (γ_K)."""
    return (2 * r + 3) * gamma(p // 2 + 1 + 4, U_FLOAT64)


def leakage(r: float, w: np.ndarray, arg_max: float, peak: float) -> float:
    """Fall of IPR_r below its exact value from rounding noise in the empty bins: the cosines are
    built with |δw_n| ≤ (2|θ_n| + 4)u (argument, cos) and the FFT adds ≤ γ_{4p}·Σ|w| per bin, a
    relative δ = that / |peak| per empty bin; the peaks then lose ≤ r·K·δ² of IPR."""
    p = len(w)
    delta = ((2 * arg_max + 4) * U_FLOAT64 * p + gamma(4 * p, U_FLOAT64) * np.abs(w).sum()) / peak
    return r * (p // 2 + 1) * delta**2


@pytest.mark.parametrize("r", [2, 3, 1.5])
def test_pure_cosine_has_ipr_one(r: float) -> None:
    p = 97
    w = 0.3 * np.cos(2 * np.pi * 11 * np.arange(p) / p + 0.4)
    tol = ipr_rounding(r, p) + leakage(r, w, 2 * np.pi * 11 + 0.4, 0.3 * p / 2)
    assert abs(ipr(w, r) - 1.0) <= tol


@pytest.mark.parametrize("r", [2, 3])
def test_two_equal_cosines(r: float) -> None:
    """Two bins of equal magnitude: v = (1/√2, 1/√2), IPR_r = 2 · 2^{−r} (a magnitude mismatch δ
    between the two bins changes it only at second order, δ²)."""
    p, n = 61, np.arange(61)
    w = np.cos(2 * np.pi * 4 * n / p) + np.cos(2 * np.pi * 19 * n / p + 1.0)
    expected = 2 * 2.0**-r
    tol = ipr_rounding(r, p) * expected + leakage(r, w, 2 * 2 * np.pi * 19 + 1.0, p / 2)
    assert abs(ipr(w, r) - expected) <= tol


@pytest.mark.parametrize("r", [2, 3])
def test_random_vectors_match_expected_ipr_and_sit_far_below_cosines(r: float) -> None:
    p = 97
    x = np.random.default_rng(0).standard_normal((3000, p))
    values = ipr(x, r)
    assert values.mean() == pytest.approx(random_ipr(p, r), rel=0.05)
    assert values.max() < 0.5  # no random vector looks like a single cosine


def slow_ipr(row: np.ndarray, r: float) -> float:
    """The paper's definition from scratch, in plain Python: DFT magnitudes |Σ_n w_n e^{−2πikn/p}|
    for k = 0..p//2 (k·n reduced mod p in integers), normalised to unit length, Σ v_k^{2r}."""
    p = len(row)
    mags = []
    for k in range(p // 2 + 1):
        re = math.fsum(float(x) * math.cos(2 * math.pi * ((k * n) % p) / p) for n, x in enumerate(row))
        im = math.fsum(float(x) * math.sin(2 * math.pi * ((k * n) % p) / p) for n, x in enumerate(row))
        mags.append(math.hypot(re, im))
    norm = math.sqrt(math.fsum(m * m for m in mags))
    return math.fsum((m / norm) ** (2 * r) for m in mags)


@pytest.mark.parametrize("r", [2, 3, 1.5])
def test_ipr_follows_the_papers_formula_along_either_axis(r: float) -> None:
    w = np.random.default_rng(1).standard_normal((6, 23))
    direct = np.array([slow_ipr(row, r) for row in w])
    # Each bin's magnitude is within δs = γ_{4p}·Σ|w| (FFT) + γ_8·Σ|w| (the slow sums' twiddles
    # and hypot; fsum is exact) of exact, so ‖s‖ within √K·δs and v_k within (1 + √K)·δs/‖s‖;
    # δIPR ≤ Σ 2r v^{2r−1} δv ≤ 2r (1 + √K) δs/‖s‖ (Σ v^{2r−1} ≤ Σ v² = 1 for r ≥ 1.5), plus the
    # IPR's own rounding on both sides.
    p = w.shape[1]
    k = p // 2 + 1
    s = np.abs(np.fft.fft(w, axis=1))[:, :k]  # only to size ‖s‖ for the bound
    ds = (gamma(4 * p, U_FLOAT64) + gamma(8, U_FLOAT64)) * np.abs(w).sum(axis=1)
    tol = 2 * r * (1 + math.sqrt(k)) * ds / np.linalg.norm(s, axis=1) + 2 * ipr_rounding(r, p) * direct
    assert_within(ipr(w, r), direct, tol, "IPR rows")
    assert_within(ipr(w.T, r, axis=0), direct, tol, "IPR columns")


def test_zero_vector_is_nan_and_r_is_validated() -> None:
    assert np.isnan(ipr(np.zeros(11)))
    for bad in (1, 0.5, float("nan"), True):
        with pytest.raises(ConfigError, match="r="):
            ipr(np.ones(5), bad)
