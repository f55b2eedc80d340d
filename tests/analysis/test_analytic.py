"""Gromov's analytic network: ≥ 99% on all p² pairs (his paper's claim), checked through the
project's evaluate() and through an independent numpy forward."""

from __future__ import annotations

import numpy as np
import pytest

from rulesfacts.analysis.analytic import analytic_metrics, analytic_params, analytic_weights
from rulesfacts.errors import ConfigError
from tests.model_helpers import bounded_logits
from tests.tolerance import accuracy_interval


def numpy_accuracy(weights: dict[str, np.ndarray], p: int) -> float:
    """Independent forward on every pair: h = (W_in[:, a] + W_in[:, p+b])², out = W_out h."""
    a, b = np.divmod(np.arange(p * p), p)
    w_in = weights["W_in"].astype(np.float64)
    h = (w_in[:, a] + w_in[:, p + b]) ** 2
    pred = (weights["W_out"].astype(np.float64) @ h).argmax(axis=0)
    return float((pred == (a + b) % p).mean())


@pytest.mark.parametrize(("p", "width"), [(97, 500), (5, 200), (7, 100), (13, 200), (23, 100)])
def test_analytic_net_is_at_least_99_percent_on_all_pairs(p: int, width: int) -> None:
    m = analytic_metrics(p, width, seed=0)
    assert m["all_acc"] >= 0.99
    # evaluate() runs in float32: its argmax can differ from the float64 one only on pairs whose
    # top-two margin is within the float32 rounding bound of the logits
    w = analytic_weights(p, width, 0)
    a, b = np.divmod(np.arange(p * p), p)
    lo, hi = accuracy_interval(bounded_logits(w["W_in"], w["W_out"], np.stack([a, p + b], 1)), (a + b) % p)
    assert lo <= numpy_accuracy(w, p) <= hi
    assert lo - 1e-12 <= m["all_acc"] <= hi + 1e-12  # all_acc: a count-weighted mean of two accuracies
    assert hi - lo <= 2 / p**2  # at most two pairs in doubt


def test_frequencies_cover_every_nonzero_frequency_evenly() -> None:
    freq, phi1, phi2 = analytic_params(23, 50, seed=1)
    counts = np.bincount(freq, minlength=12)[1:]
    assert counts.min() >= 4 and counts.max() <= 5 and counts.sum() == 50
    assert ((phi1 >= 0) & (phi1 < 2 * np.pi)).all() and ((phi2 >= 0) & (phi2 < 2 * np.pi)).all()


def test_too_few_neurons_fail_as_expected() -> None:
    """Width 3 for p = 31 covers 3 of the 15 frequencies: far from a working net."""
    assert analytic_metrics(31, 3)["all_acc"] < 0.9


@pytest.mark.parametrize(("p", "width"), [(2, 10), (1001, 10), (11, 0), (7.5, 10)])
def test_bad_sizes(p: int, width: int) -> None:
    with pytest.raises(ConfigError):
        analytic_weights(p, width)
