"""Fourier view of the transformer's embedding: closed forms on constructed embeddings, and the
``rulesfacts analyze`` dispatch on a small trained run."""

import json

import numpy as np
import pytest

from rulesfacts.analysis.pipeline import analyze_run
from rulesfacts.analysis.transformer import TOP_K, frequency_energy, key_frequencies, top_energy
from rulesfacts.config.train import TrainConfig
from rulesfacts.training.trainer import train
from tests.tolerance import U_FLOAT32, U_FLOAT64


def test_a_fourier_embedding_concentrates_on_its_frequencies():
    """W_E[a] = (cos, sin)(2π f a / p) for f ∈ {3, 7}: all energy in those two bins."""
    p = 23
    a = np.arange(p)[:, None]
    emb = np.concatenate([np.cos(2 * np.pi * 3 * a / p), np.sin(2 * np.pi * 3 * a / p),
                          0.5 * np.cos(2 * np.pi * 7 * a / p + 1.0), np.zeros((p, 3))], axis=1)
    emb = np.vstack([emb, np.ones((1, emb.shape[1]))])  # the "=" row is not a number token: ignored
    energy = frequency_energy(emb, p)
    assert key_frequencies(energy, 2) == [3, 7]
    assert top_energy(energy, 2) == pytest.approx(1.0)
    # Parseval per column: Σ_a cos² = p/2, and rfft puts it as (p/2)² in one bin
    assert energy[3] == pytest.approx(2 * (p / 2) ** 2)


def test_a_random_embedding_is_spread_out():
    p = 101
    emb = np.random.default_rng(0).normal(size=(p + 1, 256))
    share = top_energy(frequency_energy(emb, p))
    assert share == pytest.approx(TOP_K / (p // 2), rel=0.3)


def test_analyze_dispatches_on_the_transformer(tmp_path):
    cfg = TrainConfig(model="transformer", p=7, d_model=16, n_heads=2, train_frac=0.6, fact_frac=0.0, loss="ce",
                      lr=1e-2, epochs=40, log_every=10, n_snapshots=3, device="cpu")
    train(cfg, tmp_path / "run", progress=False)
    summary = analyze_run(tmp_path / "run")
    assert summary["model"] == "transformer" and summary["n_snapshots"] == 3
    assert len(summary["key_frequencies"]) == min(TOP_K, 7 // 2)  # p = 7 has only 3 non-zero frequencies
    assert summary["top_energy"] == pytest.approx(1.0)
    for name in summary["files"]:
        assert (tmp_path / "run" / "analysis" / name).stat().st_size > 0
    assert json.loads((tmp_path / "run" / "analysis" / "summary.json").read_text())["model"] == "transformer"


def test_a_single_frequency_embedding_has_one_key_frequency():
    """PAIR's fixed circle (frequency 1 only): the other frequencies hold float32 rounding, not
    key frequencies."""
    from rulesfacts.models.tied import circle_embedding

    energy = frequency_energy(circle_embedding(67).numpy(), 67)
    assert key_frequencies(energy) == [1]
    # rounding each entry to float32 (relative error ≤ u32) puts at most u32² of the energy off
    # frequency 1; the float64 transform and ratio add a few u64
    assert top_energy(energy) == pytest.approx(1.0, abs=U_FLOAT32**2 + 16 * U_FLOAT64)
