"""Neuron classes: a net built from known rule neurons and known random neurons is labelled
exactly; the threshold sits in the data's gap."""

from __future__ import annotations

import numpy as np
import pytest

from rulesfacts.analysis.analytic import analytic_weights, phase_residual
from rulesfacts.analysis.fourier import wrap_phase
from rulesfacts.analysis.neurons import (
    COLUMNS,
    class_counts,
    ipr_threshold,
    neuron_table,
    otsu_split,
    reference_threshold,
)
from rulesfacts.errors import ConfigError
from tests.analysis.helpers import mixed_weights
from tests.tolerance import U_FLOAT32, U_FLOAT64, gamma


def test_mixed_net_is_labelled_exactly() -> None:
    p, n_rule, n_random = 31, 40, 60
    table = neuron_table(mixed_weights(p, n_rule, n_random), p)
    assert list(table.columns) == list(COLUMNS)
    assert class_counts(table) == {"n_generalizing": n_rule, "n_memorizing": n_random}
    assert (table["label"].iloc[:n_rule] == "generalizing").all()
    thr = table.attrs["ipr_threshold"]
    assert table["ipr"].iloc[n_rule:].max() < thr < table["ipr"].iloc[:n_rule].min()


def test_analytic_net_recovers_its_construction() -> None:
    from rulesfacts.analysis.analytic import analytic_params

    p, width = 23, 30
    w = analytic_weights(p, width, seed=3)
    table = neuron_table(w, p)
    freq, phi1, phi2 = analytic_params(p, width, seed=3)
    for col in ("freq_a", "freq_b", "freq_out"):
        np.testing.assert_array_equal(table[col], freq)
    # The only error is the weights' rounding to float32, |δw| ≤ u|w|: it moves the spike
    # X_f = (p/2) e^{iφ} by at most u Σ|w| (plus the float64 FFT's own γ·Σ|w|), so the phase
    # by at most arcsin(|δX| / (p/2)) ≈ 2u; the other bins hold at most 2u of the normalised
    # spectrum, so IPR₂ = Σ v⁴ ≥ (1 − Σ_{k≠f} v_k²)² is within 2·K·(2u)² of 1.
    def phase_bound(rows: np.ndarray) -> np.ndarray:
        rows = np.abs(rows.astype(np.float64)).sum(axis=1)
        return np.arcsin((U_FLOAT32 + gamma(8 * p, U_FLOAT64)) * rows / (p / 2))

    bound_a, bound_b = phase_bound(w["W_in"][:, :p]), phase_bound(w["W_in"][:, p:])
    bound_out = phase_bound(w["W_out"].T)
    assert (np.abs(wrap_phase(table["phase_a"] - phi1)) <= bound_a).all()
    assert (np.abs(wrap_phase(table["phase_b"] - phi2)) <= bound_b).all()
    assert (np.abs(phase_residual(table)) <= bound_a + bound_b + bound_out).all()  # φ_out = φ_a + φ_b
    k = p // 2 + 1
    assert (np.abs(table["ipr"] - 1) <= 2 * k * (2 * U_FLOAT32) ** 2 + gamma(8 * p, U_FLOAT64)).all()
    assert class_counts(table)["n_generalizing"] == width  # one cluster: the reference decides


def test_random_net_is_all_memorizing() -> None:
    p = 41
    rng = np.random.default_rng(2)
    table = neuron_table({"W_in": rng.standard_normal((80, 2 * p)), "W_out": rng.standard_normal((p, 80))}, p)
    assert class_counts(table) == {"n_generalizing": 0, "n_memorizing": 80}
    assert table.attrs["ipr_threshold"] == pytest.approx(reference_threshold(p))


def test_otsu_split_matches_brute_force() -> None:
    x = np.random.default_rng(4).standard_normal(37) ** 3
    i, xs = otsu_split(x)

    def within(k: int) -> float:
        return xs[:k].var() * k + xs[k:].var() * (len(xs) - k)

    best = min(range(1, len(xs)), key=within)  # minimal within-class = maximal between-class
    assert i == best


def test_threshold_is_middle_of_the_gap() -> None:
    low = np.array([0.02, 0.03, 0.025, 0.04])
    high = np.array([0.5, 0.8, 0.9])
    thr = ipr_threshold(np.concatenate([high, low]))
    assert thr == pytest.approx(np.sqrt(0.04 * 0.5))
    assert ipr_threshold(np.concatenate([high, low]), reference=0.2) == pytest.approx(np.sqrt(0.04 * 0.5))
    # two clusters that are both below the reference: no rule neurons to separate
    assert ipr_threshold(np.array([0.01, 0.011, 0.05, 0.051]), reference=0.2) == 0.2


def test_bad_shapes_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="weights"):
        neuron_table({"W_in": np.zeros((4, 10)), "W_out": np.zeros((5, 4))}, 7)
    with pytest.raises(ConfigError, match="weights"):
        neuron_table({"W_in": np.zeros((4, 10))}, 5)
