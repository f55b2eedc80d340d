"""The Rules-and-Facts data (Farné et al. 2026; the setting of ``rulesfacts theory``).

Inputs x ~ N(0, I_d), a teacher w* ~ N(0, I_d), the rule's label sign(w*·x/√d). The training set
has n = round(α·d) examples; exactly round(ε·n) of them, at random positions, are facts: their
label is redrawn ±1 at random, independently of x (so about half of them agree with the rule by
chance, as in the theory). The test set is fresh inputs with the rule's label. Classes: 0 for
−1, 1 for +1, so a model's margin h = logit₁ − logit₀ predicts sign(h).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rulesfacts.declare import Int, Real, param
from rulesfacts.tasks.base import RuleDirection, Split, Task, check_batch_fits, cosines, random_cosine

if TYPE_CHECKING:
    from rulesfacts.config.train import TrainConfig


@dataclass(frozen=True)
class Fields:
    """Names and meanings as in ``rulesfacts theory``."""

    d: int = param(200, Int(1, 100_000), "raf: input dimension d (x ~ N(0, I_d), teacher w* ~ N(0, I_d)).")
    alpha: float = param(2.0, Real(0.0, 10_000.0, lo_open=True), "raf: samples per dimension α, n = round(α·d).")


def raf_train_count(alpha: float, d: int) -> int:
    """n = round(α·d), at least 1: the RAF training-set size (as ``rulesfacts simulate`` draws it)."""
    return max(int(round(alpha * d)), 1)


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


def check(cfg: TrainConfig) -> None:
    check_batch_fits(cfg, raf_train_count(cfg.alpha, cfg.d))


# The rule is sign(w*·x): a neuron that computes it points along ±w*.
TEACHER = RuleDirection("teacher", "|cos(w_in, w*)|", lambda c, w: cosines(w, teacher_of(c)),
                        lambda c: random_cosine(c.d))

TASK = Task("raf", split_of, lambda c: f"raf d={c.d} alpha={c.alpha:g}", fields=Fields, check=check,
            sizes=lambda c: (raf_train_count(c.alpha, c.d), c.test_size), dims=lambda c: (c.d, 2), two_class=True,
            rule=TEACHER)
