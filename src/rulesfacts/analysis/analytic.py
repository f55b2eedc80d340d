"""Gromov's closed-form network for modular addition ("Grokking modular arithmetic", 2023,
Eqs. 5-6): no training, just cosines.

Neuron k has a frequency f_k and phases φ¹_k, φ²_k:
    W_in[k, a]     = cos(2π f_k a / p + φ¹_k),   W_in[k, p + b] = cos(2π f_k b / p + φ²_k),
    W_out[q, k]    = cos(−2π f_k q / p − φ¹_k − φ²_k).
With h = (W_in x)², the cross term 2 cos(θ_a + φ¹) cos(θ_b + φ²) contains cos(θ_a + θ_b + φ¹ + φ²);
multiplied by W_out and summed over neurons, the phase-free part Σ_k ½ cos(2π f_k (q − a − b)/p)
peaks at q = (a + b) mod p, while every other term carries a random phase and averages out.

Phase convention: ``fourier.dominant`` reads w[n] = A cos(2π f n / p + φ). Since cos is even,
W_out[:, k] = cos(2π f q / p + φ¹ + φ²), so a rule neuron obeys φ_out ≡ φ_a + φ_b (mod 2π).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rulesfacts.analysis.fourier import wrap_phase
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.training.evaluate import evaluate


def check_size(p: int, width: int) -> None:
    """p ≥ 3 so that a non-zero frequency below p/2 exists; p ≤ 1000 like TrainConfig."""
    if isinstance(p, bool) or not isinstance(p, int) or not 3 <= p <= 1000:
        raise ConfigError("p", p, "an integer in [3, 1000]")
    if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= 100_000:
        raise ConfigError("width", width, "an integer in [1, 100000]")


def analytic_params(p: int, width: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frequencies cycling through 1..(p−1)//2 (each used ⌊N/K⌋ or ⌈N/K⌉ times) and phases
    φ¹, φ² drawn uniformly in [0, 2π) from ``seed``."""
    check_size(p, width)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError("seed", seed, "a non-negative integer")
    n_freq = (p - 1) // 2
    freq = 1 + np.arange(width) % n_freq
    rng = np.random.default_rng(seed)
    phi1, phi2 = rng.uniform(0, 2 * np.pi, size=(2, width))
    return freq, phi1, phi2


def analytic_weights(p: int, width: int, seed: int = 0) -> dict[str, np.ndarray]:
    """W_in (N, 2p) and W_out (p, N) of Gromov's solution, in the paper's layout."""
    freq, phi1, phi2 = analytic_params(p, width, seed)
    theta = 2 * np.pi * np.outer(freq, np.arange(p)) / p  # (N, p)
    w_in = np.concatenate([np.cos(theta + phi1[:, None]), np.cos(theta + phi2[:, None])], axis=1)
    w_out = np.cos(-theta - phi1[:, None] - phi2[:, None]).T
    return {"W_in": w_in.astype(np.float32), "W_out": w_out.astype(np.float32)}


def analytic_config(p: int, width: int) -> TrainConfig:
    """The config whose split the analytic net is scored on: modular addition, no corruption.
    Train and test together are all p² pairs."""
    check_size(p, width)
    return TrainConfig(p=p, width=width, op="add", act="quadratic", fact_frac=0.0, train_frac=0.5, device="cpu")


def analytic_metrics(p: int, width: int, seed: int = 0) -> dict[str, float]:
    """Accuracy of the analytic net on the train half, the test half and all p² pairs."""
    cfg = analytic_config(p, width)
    m = evaluate(cfg, analytic_weights(p, width, seed))
    n_all = p * p
    n_tr = int(cfg.train_frac * n_all)
    all_acc = (m["train_acc"] * n_tr + m["test_acc"] * (n_all - n_tr)) / n_all
    return {"train_acc": m["train_acc"], "test_acc": m["test_acc"], "all_acc": all_acc}


def phase_residual(table: pd.DataFrame) -> np.ndarray:
    """φ_out − φ_a − φ_b wrapped to (−π, π]: zero for a neuron of the analytic solution."""
    return wrap_phase(table["phase_out"] - table["phase_a"] - table["phase_b"])


def compare_to_analytic(table: pd.DataFrame) -> pd.DataFrame:
    """Per neuron class: how many neurons use one frequency in all three weight vectors, and
    the median |phase residual| among those (0 for the analytic net; π/2 for random phases)."""
    same = (table["freq_a"] == table["freq_b"]) & (table["freq_b"] == table["freq_out"])
    res = np.abs(phase_residual(table))
    rows = []
    for label, idx in table.groupby("label").groups.items():
        s = same.loc[idx]
        rows.append({"label": label, "n": len(idx), "same_freq": float(s.mean()),
                     "median_abs_phase_residual": float(np.median(res[idx][s.to_numpy()])) if s.any() else None})
    return pd.DataFrame(rows)
