"""Neuron classes: a net built from known rule neurons and known random neurons is labelled
exactly; the threshold sits in the data's gap."""

from __future__ import annotations

import numpy as np
import pytest

from rulesfacts.analysis.analytic import analytic_weights, phase_residual
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
    table = neuron_table(analytic_weights(p, width, seed=3), p)
    freq, phi1, phi2 = analytic_params(p, width, seed=3)
    for col in ("freq_a", "freq_b", "freq_out"):
        np.testing.assert_array_equal(table[col], freq)
    np.testing.assert_allclose(np.cos(table["phase_a"] - phi1), 1, atol=1e-6)
    np.testing.assert_allclose(np.cos(table["phase_b"] - phi2), 1, atol=1e-6)
    np.testing.assert_allclose(phase_residual(table), 0, atol=1e-5)  # φ_out = φ_a + φ_b
    np.testing.assert_allclose(table["ipr"], 1, atol=1e-6)
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
