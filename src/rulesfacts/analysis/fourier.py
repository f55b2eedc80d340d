"""The discrete Fourier view of a neuron's weights over Z_p.

A neuron of a network that computes (a + b) mod p with the Fourier algorithm has weights
w[n] = A cos(2π f n / p + φ) over the p inputs (Gromov 2023, Eq. 5): its spectrum is one spike
at frequency f. The real FFT of such a vector is X_f = A p/2 · e^{iφ}, so the dominant bin's
index and angle give f and φ exactly.
"""

from __future__ import annotations

import numpy as np


def spectrum(w: np.ndarray, axis: int = -1) -> np.ndarray:
    """|rfft(w)| along ``axis``: p//2 + 1 magnitudes, bin 0 is the constant (DC) part."""
    return np.abs(np.fft.rfft(np.asarray(w, dtype=np.float64), axis=axis))


def dominant(w: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Dominant non-zero frequency f ∈ [1, p//2] and its phase φ ∈ (−π, π] of each vector.

    The phase follows w[n] ≈ A cos(2π f n / p + φ). The DC bin is excluded: a constant offset
    carries no information about n (it cancels in the argmax over outputs), and a rule neuron's
    frequency is never 0.
    """
    x = np.fft.rfft(np.asarray(w, dtype=np.float64), axis=axis)
    x = np.moveaxis(x, axis, -1)
    if x.shape[-1] < 2:
        raise ValueError("dominant() needs vectors of length ≥ 2 (at least one non-zero frequency)")
    freq = np.argmax(np.abs(x[..., 1:]), axis=-1) + 1
    phase = np.angle(np.take_along_axis(x, freq[..., None], axis=-1)[..., 0])
    return freq.astype(int), phase


def wrap_phase(phi: np.ndarray) -> np.ndarray:
    """Map angles to (−π, π], so phase differences can be compared with zero."""
    phi = np.asarray(phi, dtype=np.float64)
    out = np.angle(np.exp(1j * phi))
    return np.where(np.isclose(out, -np.pi), np.pi, out)


def frequency_histogram(freqs: np.ndarray, p: int) -> np.ndarray:
    """Count of neurons per frequency 0..p//2 (the whole net's frequency usage)."""
    return np.bincount(np.asarray(freqs, dtype=int), minlength=p // 2 + 1)
