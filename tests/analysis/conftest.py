"""Shared fixture: one tiny trained run with snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few epochs of a small corrupted modular-addition run, with snapshots (≈ 1 s)."""
    from rulesfacts import TrainConfig, train

    out = tmp_path_factory.mktemp("runs") / "tiny"
    cfg = TrainConfig(p=13, width=48, fact_frac=0.3, epochs=60, log_every=10, n_snapshots=4, device="cpu")
    train(cfg, out, progress=False)
    return out
