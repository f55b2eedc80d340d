"""The Rules-and-Facts data (Farné et al. 2026; the setting of ``rulesfacts theory``).

Inputs x ~ N(0, I_d), a teacher w* ~ N(0, I_d), the rule's label sign(w*·x/√d). The training set
has n = round(α·d) examples; exactly round(ε·n) of them, at random positions, are facts: their
label is redrawn ±1 at random, independently of x (so about half of them agree with the rule by
chance, as in the theory). The test set is fresh inputs with the rule's label. Classes: 0 for
−1, 1 for +1, so a model's margin h = logit₁ − logit₀ predicts sign(h).
"""

from __future__ import annotations

import numpy as np

from rulesfacts.config.train import TrainConfig, raf_train_count
from rulesfacts.tasks.base import Split, Task


def raf_split(d: int, alpha: float, fact_frac: float, test_size: int, seed: int) -> Split:
    """Train and test sets of the RAF model, inputs float32 (``vocab`` 0), labels 0/1."""
    rng = np.random.default_rng(seed)
    n = raf_train_count(alpha, d)
    teacher = rng.standard_normal(d)
    x = rng.standard_normal((n + test_size, d))
    rule = (x @ teacher >= 0).astype(np.int64)  # sign(w*·x), with sign(0) read as +1
    is_fact = np.zeros(n, dtype=bool)
    is_fact[rng.permutation(n)[: int(round(fact_frac * n))]] = True
    y_train = rule[:n].copy()
    y_train[is_fact] = rng.integers(0, 2, size=int(is_fact.sum()))
    return Split(
        x_train=x[:n].astype(np.float32), y_train=y_train, y_train_true=rule[:n], is_fact=is_fact,
        x_test=x[n:].astype(np.float32), y_test=rule[n:], n_classes=2, vocab=0,
    )


def split_of(cfg: TrainConfig) -> Split:
    return raf_split(cfg.d, cfg.alpha, cfg.fact_frac, cfg.test_size, cfg.effective_data_seed)


def teacher_of(cfg: TrainConfig) -> np.ndarray:
    """The teacher w* of a run's data seed (the first draw of its stream)."""
    return np.random.default_rng(cfg.effective_data_seed).standard_normal(cfg.d)


TASK = Task("raf", split_of, lambda c: f"raf d={c.d} alpha={c.alpha:g}")
