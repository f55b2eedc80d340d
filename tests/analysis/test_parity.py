"""Parity measures: closed forms on constructed layers, and a small real run that finds its subset."""

import numpy as np
import pandas as pd
import pytest

from rulesfacts.analysis.parity import (
    FOUND_LEVEL,
    epoch_found,
    hoyer_sparsity,
    relevant_mass,
    relevant_subset,
)
from rulesfacts.analysis.pipeline import analyze_run
from rulesfacts.config.train import TrainConfig
from rulesfacts.training.trainer import train


def test_relevant_mass_closed_forms():
    subset = np.array([1, 4])
    w = np.zeros((5, 8))
    w[:, subset] = np.random.default_rng(0).normal(size=(5, 2))
    assert relevant_mass(w, subset) == pytest.approx(1.0)
    assert relevant_mass(np.ones((7, 8)), subset) == pytest.approx(2 / 8)  # chance k / n
    w = np.ones((3, 8))
    w[:, 1] = 3.0  # column masses 3 + 1 of a total 3 + 7
    assert relevant_mass(w, subset) == pytest.approx(4 / 10)


def test_hoyer_sparsity_closed_forms():
    assert hoyer_sparsity(np.ones(50)) == pytest.approx(0.0)
    one = np.zeros(50)
    one[7] = -2.0
    assert hoyer_sparsity(one) == pytest.approx(1.0)
    half = np.r_[np.ones(25), np.zeros(25)]  # ‖w‖₁/‖w‖₂ = √25
    assert hoyer_sparsity(half) == pytest.approx((np.sqrt(50) - 5) / (np.sqrt(50) - 1))


def test_epoch_found_is_the_first_crossing():
    t = pd.DataFrame({"epoch": [0, 10, 20, 30], "relevant_mass": [0.1, 0.3, FOUND_LEVEL, 0.9]})
    assert epoch_found(t) == 20
    assert epoch_found(t, level=0.95) is None


def test_small_l1_run_finds_its_subset(tmp_path):
    """n = 16 bits, k = 2: with L1 the first layer concentrates on the two relevant bits and the
    test accuracy reaches 100%; the measures read it from the snapshots."""
    cfg = TrainConfig(task="parity", n_bits=16, k=2, train_size=400, test_size=400, fact_frac=0.0, width=32, act="relu",
                      bias=True, loss="ce", lr=1e-2, l1=1e-3, init_scale=0.1, epochs=200, log_every=20,
                      n_snapshots=6, device="cpu")
    train(cfg, tmp_path / "run", progress=False)
    out = analyze_run(tmp_path / "run")  # the `rulesfacts analyze` dispatch: parity, not the Fourier view
    assert out["subset"] == relevant_subset(cfg).tolist()
    assert out["test_acc"] == 1.0
    assert out["relevant_mass"] > FOUND_LEVEL > 3 * out["chance_mass"]
    assert out["epoch_found"] is not None and 0 < out["epoch_found"] <= 200
    table = pd.read_csv(tmp_path / "run" / "analysis" / "parity.csv")
    assert table["relevant_mass"].iloc[0] < FOUND_LEVEL  # random init: near chance
    assert (tmp_path / "run" / "analysis" / "parity.png").stat().st_size > 0
