"""Memorization scores set by hand on a run folder's training set, for the report's memscore section."""

from __future__ import annotations

from pathlib import Path


def hand_memscores(run_dir: Path, seed: int = 0):
    """Scores set by hand on a run folder's own training set (facts high, clean low, some ties and
    unscored examples), written as ``rulesfacts memscore -o RUN_DIR`` writes them."""
    import numpy as np
    import pandas as pd

    from rulesfacts.analysis.memscore import MemScores, precision_at, roc_auc, write_outputs
    from rulesfacts.tasks import make_split
    from rulesfacts.training.rundir import read_config

    cfg = read_config(run_dir)
    full = make_split(cfg)
    rng = np.random.default_rng(seed)
    n = full.n_train
    score = np.where(full.is_fact, rng.uniform(0.2, 1.0, n), rng.uniform(-0.3, 0.5, n)).round(2)
    score[rng.choice(n, 3, replace=False)] = np.nan
    ok = np.isfinite(score)
    table = pd.DataFrame({"index": np.arange(n), "score": score, "se": np.full(n, 0.125), "acc_in": score,
                          "acc_out": np.zeros(n), "k_in": 8, "k_out": 8, "is_fact": full.is_fact,
                          "label": full.y_train, "true_label": full.y_train_true})
    nf = int(full.is_fact.sum())
    result = MemScores(table, nf, 16, 0.5, roc_auc(score[ok], full.is_fact[ok]),
                       precision_at(np.where(ok, score, -np.inf), full.is_fact, nf), 12.5, 2.5)
    write_outputs(result, cfg, run_dir, top=16)
    return result
