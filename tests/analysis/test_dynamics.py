"""Snapshot dynamics of a real (tiny) run: one row per snapshot, norms equal to the trainer's
logged norms, class counts that add up, spectra that are distributions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rulesfacts import load_run
from rulesfacts.analysis.dynamics import run_dynamics
from rulesfacts.analysis.neurons import neuron_table
from tests.tolerance import U_FLOAT16, U_FLOAT32, U_FLOAT64, assert_within, gamma


def test_dynamics_of_a_run(tiny_run: Path) -> None:
    run = load_run(tiny_run)
    dyn = run_dynamics(run)
    t = dyn.table
    assert list(t["epoch"]) == run.snapshot_epochs() and len(t) >= 2
    assert ((t["n_generalizing"] + t["n_memorizing"]) == run.config.width).all()
    logged = run.metrics.set_index("epoch").loc[t["epoch"]]
    # Snapshots are float16 (|δw| ≤ u₁₆|w|; below 2⁻¹⁴, subnormal, |δw| ≤ 2⁻²⁵), so each squared
    # weight moves by ≤ (2u₁₆ + u₁₆²) w² (or 2⁻³⁸ + 2⁻⁵⁰ < 2⁻³⁷); the trainer logs a float32
    # sum of K squares, within γ_{K+1}(u₃₂) of exact. Sums of positive terms: relative bounds.
    p, width = run.config.p, run.config.width
    for col, k in (("norm_in", width * 2 * p), ("norm_out", width * p)):
        rel = 2 * U_FLOAT16 + U_FLOAT16**2 + gamma(k + 1, U_FLOAT32)
        assert_within(t[col], logged[col], rel * logged[col] + k * 2.0**-37, col)
    # the same float64 squares regrouped by neuron class: sums of ≤ 3pN + N + 8 positive terms
    both = t["norm_in"] + t["norm_out"]
    assert_within(t["norm_generalizing"] + t["norm_memorizing"], both,
                  2 * gamma(3 * p * width + width + 8, U_FLOAT64) * both, "norms by class")
    np.testing.assert_allclose(t["test_acc"], logged["test_acc"])
    assert dyn.spectra.shape == (len(t), run.config.p // 2 + 1)
    np.testing.assert_allclose(dyn.spectra.sum(axis=1), 1)
    assert (dyn.ipr_hist.sum(axis=1) == run.config.width).all()
    assert dyn.threshold == pytest.approx(neuron_table(run.weights(), run.config.p).attrs["ipr_threshold"])
