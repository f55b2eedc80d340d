"""Fourier view: a constructed cosine neuron gives back its frequency and phase exactly."""

from __future__ import annotations

import numpy as np
import pytest

from rulesfacts.analysis.fourier import dominant, frequency_histogram, spectrum, wrap_phase
from tests.tolerance import FUNC_ULPS, U_FLOAT64, assert_within, gamma


def naive_dft_magnitudes(w: np.ndarray) -> np.ndarray:
    """Independent O(p²) DFT: |Σ_n w[n] e^{−2πikn/p}| for k = 0..p//2, with k·n reduced mod p in
    integers first, so every twiddle factor is accurate to a few ulps."""
    p = len(w)
    k = np.arange(p // 2 + 1)[:, None]
    n = np.arange(p)[None, :]
    return np.abs((w[None, :] * np.exp(-2j * np.pi * ((k * n) % p) / p)).sum(axis=1))


def dft_error(w: np.ndarray) -> np.ndarray:
    """Bound on the float64 error of one DFT bin of w, per vector (last axis): a sum of p complex
    products (or an FFT's log p stages, Bluestein's chirps for prime p) stays within γ_{4p}·Σ|w|."""
    return gamma(4 * w.shape[-1], U_FLOAT64) * np.abs(w).sum(axis=-1)


def cosine_error(amp: float, arg_max: float, w: np.ndarray) -> np.ndarray:
    """Bound on Σ_n |δw[n]| for w = amp·cos(θ_n) (+ offset) built in float64: the argument θ_n is
    off by ≤ |θ_n|·2u (its product and division), cos adds a few ulps, the offset one rounding."""
    return (amp * (2 * arg_max + FUNC_ULPS) * U_FLOAT64 + 2 * U_FLOAT64 * np.abs(w)).sum(axis=-1)


@pytest.mark.parametrize("p", [5, 23, 97, 98])
def test_spectrum_matches_naive_dft(p: int) -> None:
    w = np.random.default_rng(p).standard_normal(p)
    assert_within(spectrum(w), naive_dft_magnitudes(w), 2 * dft_error(w), "|rfft| vs naive DFT")  # two DFTs


@pytest.mark.parametrize(("p", "f", "phi", "amp"), [(97, 1, 0.3, 1.0), (97, 48, -2.9, 0.05), (23, 7, 3.0, 2.0),
                                                    (31, 15, -0.01, 1.0), (11, 3, np.pi, 0.5)])
def test_dominant_recovers_frequency_and_phase_exactly(p: int, f: int, phi: float, amp: float) -> None:
    n = np.arange(p)
    w = amp * np.cos(2 * np.pi * f * n / p + phi) + 0.7  # a constant offset lives in bin 0 only
    freq, phase = dominant(w)
    assert int(freq) == f
    # the spike X_f = (A p / 2) e^{iφ} moves by ≤ δ (input and DFT rounding): its angle by ≤ arcsin(δ / |X_f|)
    delta = cosine_error(amp, 2 * np.pi * f + abs(phi), w) + dft_error(w)
    assert abs(wrap_phase(phase - phi)) <= np.arcsin(delta / (amp * p / 2))
    assert_within(spectrum(w)[f], amp * p / 2, delta, "|X_f| = A p / 2")


def test_frequency_above_half_folds_to_p_minus_f_with_opposite_phase() -> None:
    p, f, phi = 29, 20, 1.1
    w = np.cos(2 * np.pi * f * np.arange(p) / p + phi)  # = cos(2π(p−f)n/p − φ)
    freq, phase = dominant(w)
    assert int(freq) == p - f
    delta = cosine_error(1.0, 2 * np.pi * f + abs(phi), w) + dft_error(w)
    assert abs(wrap_phase(phase + phi)) <= np.arcsin(delta / (p / 2))


def test_dominant_along_rows_and_columns() -> None:
    p, freqs = 37, np.array([1, 5, 18, 9])
    phis = np.array([0.0, 1.0, -1.5, 2.5])
    w = np.cos(2 * np.pi * np.outer(freqs, np.arange(p)) / p + phis[:, None])  # (4, p)
    bound = np.arcsin((cosine_error(1.0, (2 * np.pi * freqs + np.abs(phis))[:, None], w) + dft_error(w)) / (p / 2))
    for arr, axis in ((w, -1), (w.T, 0)):
        f, ph = dominant(arr, axis=axis)
        np.testing.assert_array_equal(f, freqs)
        assert_within(wrap_phase(ph - phis), 0, bound, "phases")


def test_wrap_phase_and_histogram() -> None:
    np.testing.assert_allclose(wrap_phase([3 * np.pi, -np.pi, 0.5 + 4 * np.pi]), [np.pi, np.pi, 0.5])
    np.testing.assert_array_equal(frequency_histogram([1, 1, 3], 7), [0, 2, 0, 1])
