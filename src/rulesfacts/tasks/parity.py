"""Sparse parity with corrupted labels (the PAIR explorable "Do Machine Learning Models Memorize
or Generalize?", 2023: n = 30 bits, k = 3, 1,200 training points).

Inputs x ∈ {−1, +1}^n, uniform. A hidden subset S of k bits, drawn from the data seed, sets the
rule: label 1 when an odd number of the bits in S are −1, i.e. y = (1 − Π_{i∈S} x_i) / 2.
The first ⌊ξ·n_train⌋ training labels are flipped (the facts: with two classes the only wrong
label); the test set is fresh inputs with their true labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rulesfacts.declare import Int, param
from rulesfacts.tasks.base import MAX_SIZE, RuleDirection, Split, Task, check_batch_fits, mass_shares

if TYPE_CHECKING:
    from rulesfacts.config.train import TrainConfig

SUBSET_STREAM = 0x5A17  # the subset has its own RNG stream: same seed → same subset, any sizes


@dataclass(frozen=True)
class Fields:
    n_bits: int = param(30, Int(1, 1000), "Parity: number of input bits n.")
    k: int = param(3, Int(1, 1000), "Parity: size k of the hidden subset (≤ n_bits).")
    train_size: int = param(1200, Int(1, MAX_SIZE), "Parity: training-set size.", deprecated=("n_train",))


def parity_subset(n_bits: int, k: int, seed: int) -> np.ndarray:
    """The hidden k-subset (sorted bit indices) of the data seed ``seed``; analysis code calls
    this to find the relevant bits of a run without storing them."""
    rng = np.random.default_rng([seed, SUBSET_STREAM])
    return np.sort(rng.choice(n_bits, size=k, replace=False))


def parity_labels(x: np.ndarray, subset: np.ndarray) -> np.ndarray:
    """Class 0/1: 1 when Π_{i∈S} x_i = −1 (an odd number of −1 bits in S)."""
    return (np.prod(x[:, subset], axis=1) < 0).astype(np.int64)


def parity_split(n_bits: int, k: int, n_train: int, n_test: int, fact_frac: float, seed: int) -> Split:
    """Train and test sets of sparse parity, inputs float32 in {−1, +1}^n (``vocab`` 0)."""
    subset = parity_subset(n_bits, k, seed)
    rng = np.random.default_rng(seed)
    x = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(n_train + n_test, n_bits))
    y = parity_labels(x, subset)
    n_facts = int(fact_frac * n_train)
    y_train = y[:n_train].copy()
    y_train[:n_facts] = 1 - y_train[:n_facts]
    is_fact = np.zeros(n_train, dtype=bool)
    is_fact[:n_facts] = True
    return Split(
        x_train=x[:n_train], y_train=y_train, y_train_true=y[:n_train], is_fact=is_fact,
        x_test=x[n_train:], y_test=y[n_train:], n_classes=2, vocab=0,
    )


def split_of(cfg: TrainConfig) -> Split:
    return parity_split(cfg.n_bits, cfg.k, cfg.train_size, cfg.test_size, cfg.fact_frac, cfg.effective_data_seed)


def check(cfg: TrainConfig) -> None:
    if cfg.k > cfg.n_bits:
        raise cfg.reject("k", f"an integer from 1 to n_bits={cfg.n_bits}")
    check_batch_fits(cfg, cfg.train_size)


# The rule reads only the k relevant bits: a neuron that computes it puts its weight there (a
# random direction: k/n of it).
RELEVANT_BITS = RuleDirection(
    "relevant bits", "share of |w_in| on the relevant bits",
    lambda c, w: mass_shares(w, parity_subset(c.n_bits, c.k, c.effective_data_seed)), lambda c: c.k / c.n_bits)

TASK = Task("parity", split_of, lambda c: f"parity n={c.n_bits} k={c.k} train_size={c.train_size}", fields=Fields,
            check=check, sizes=lambda c: (c.train_size, c.test_size), dims=lambda c: (c.n_bits, 2), two_class=True,
            rule=RELEVANT_BITS)
