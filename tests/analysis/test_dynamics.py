"""Snapshot dynamics of a real (tiny) run: one row per snapshot, norms equal to the trainer's
logged norms, class counts that add up, spectra that are distributions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rulesfacts import load_run
from rulesfacts.analysis.dynamics import run_dynamics
from rulesfacts.analysis.neurons import neuron_table


def test_dynamics_of_a_run(tiny_run: Path) -> None:
    run = load_run(tiny_run)
    dyn = run_dynamics(run)
    t = dyn.table
    assert list(t["epoch"]) == run.snapshot_epochs() and len(t) >= 2
    assert ((t["n_generalizing"] + t["n_memorizing"]) == run.config.width).all()
    logged = run.metrics.set_index("epoch").loc[t["epoch"]]
    # snapshots are float16: squared norms agree with the trainer's float32 log to ~1e-3
    np.testing.assert_allclose(t["norm_in"], logged["norm_in"], rtol=5e-3)
    np.testing.assert_allclose(t["norm_out"], logged["norm_out"], rtol=5e-3)
    np.testing.assert_allclose(t["norm_generalizing"] + t["norm_memorizing"], t["norm_in"] + t["norm_out"],
                               rtol=1e-9)
    np.testing.assert_allclose(t["test_acc"], logged["test_acc"])
    assert dyn.spectra.shape == (len(t), run.config.p // 2 + 1)
    np.testing.assert_allclose(dyn.spectra.sum(axis=1), 1)
    assert (dyn.ipr_hist.sum(axis=1) == run.config.width).all()
    assert dyn.threshold == pytest.approx(neuron_table(run.weights(), run.config.p).attrs["ipr_threshold"])
