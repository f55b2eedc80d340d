"""Unordered pairs a ≤ b (PAIR's modular setup): every unordered pair once, labels from counting."""

import numpy as np
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.tasks import make_split, train_count
from tests.tasks.test_modular import slow_label


@pytest.mark.parametrize(("p", "op", "frac"), [(5, "add", 0.4), (11, "mul", 0.5), (67, "add", 0.4)])
def test_every_unordered_pair_once_with_its_label(p, op, frac):
    cfg = TrainConfig(p=p, op=op, pairs="unordered", train_frac=frac, fact_frac=0.0, seed=1)
    split = make_split(cfg)
    x = np.concatenate([split.x_train, split.x_test])
    a, b = x[:, 0], x[:, 1] - p
    total = p * (p + 1) // 2
    assert len(x) == total
    assert len(split.y_train) == int(frac * total) == train_count(cfg)
    assert len(split.y_test) == total - int(frac * total)
    assert (a <= b).all()
    assert {(int(i), int(j)) for i, j in zip(a, b, strict=True)} == {(i, j) for i in range(p) for j in range(i, p)}
    y = np.concatenate([split.y_train, split.y_test])
    assert all(int(y[k]) == slow_label(int(a[k]), int(b[k]), p, op) for k in range(len(y)))


def test_ordered_stays_the_default():
    assert TrainConfig().pairs == "ordered"
    split = make_split(TrainConfig(p=5, train_frac=0.4, fact_frac=0.0))
    assert len(split.y_train) + len(split.y_test) == 25


def test_facts_are_drawn_among_the_unordered_training_pairs():
    cfg = TrainConfig(p=13, pairs="unordered", train_frac=0.5, fact_frac=0.2, fact_mode="wrong", seed=2)
    split = make_split(cfg)
    n_train = int(0.5 * (13 * 14 // 2))  # ⌊α · p(p + 1)/2⌋
    assert split.is_fact.sum() == int(0.2 * n_train)
    assert (split.y_train[split.is_fact] != split.y_train_true[split.is_fact]).all()
    assert (split.y_train[~split.is_fact] == split.y_train_true[~split.is_fact]).all()


@pytest.mark.parametrize("op", ["sub", "div"])
def test_non_commutative_operations_are_refused(op):
    with pytest.raises(ConfigError, match="pairs"):
        TrainConfig(p=7, op=op, pairs="unordered")
