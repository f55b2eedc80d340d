"""The corrupted modular-arithmetic task against slow, obvious re-implementations."""

import numpy as np
import pytest

from rulesfacts.tasks import make_split
from rulesfacts.tasks.modular import all_pairs
from rulesfacts.train.config import TrainConfig


def slow_label(a: int, b: int, p: int, op: str) -> int:
    if op == "add":
        return (a + b) % p
    if op == "sub":
        return (a - b) % p
    if op == "mul":
        return (a * b) % p
    return next(c for c in range(p) if (c * b) % p == a % p)  # the c with c·b ≡ a


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_labels_follow_the_rule(op):
    p = 11
    pairs, y = all_pairs(p, op)
    assert len(y) == (p * (p - 1) if op == "div" else p * p)
    for (a, b), label in zip(pairs, y, strict=True):
        assert label == slow_label(int(a), int(b), p, op)


@pytest.mark.parametrize("op", ["add", "div"])
def test_counts_and_subsets(op):
    cfg = TrainConfig(p=23, op=op, train_frac=0.4, corrupt=0.3, seed=3)
    s = make_split(cfg)
    total = 23 * 22 if op == "div" else 23 * 23
    assert s.n_train == int(0.4 * total) and s.n_train + s.n_test == total
    assert s.is_fact.sum() == int(0.3 * s.n_train)
    # train and test together are every pair exactly once
    both = np.concatenate([s.x_train, s.x_test])
    assert len({tuple(r) for r in both}) == total
    # token ids: a in [0, p), b in [p, 2p)
    assert both[:, 0].max() < 23 and both[:, 1].min() >= 23 and s.vocab == 46
    # clean training labels and all test labels follow the rule
    a, b = s.x_train[:, 0], s.x_train[:, 1] - 23
    truth = np.array([slow_label(int(i), int(j), 23, op) for i, j in zip(a, b, strict=True)])
    assert np.array_equal(s.y_train_true, truth)
    assert np.array_equal(s.y_train[~s.is_fact], truth[~s.is_fact])
    at, bt = s.x_test[:, 0], s.x_test[:, 1] - 23
    assert np.array_equal(s.y_test, [slow_label(int(i), int(j), 23, op) for i, j in zip(at, bt, strict=True)])


def test_facts_are_always_wrong_by_default():
    s = make_split(TrainConfig(p=7, train_frac=0.8, corrupt=0.9, seed=1))
    assert s.is_fact.sum() > 20
    assert np.all(s.y_train[s.is_fact] != s.y_train_true[s.is_fact])


def test_uniform_mode_keeps_about_one_in_p_correct():
    """The paper's variant draws facts uniformly over all p labels: P(correct) = 1/p."""
    p = 5
    hits = []
    for seed in range(40):
        s = make_split(TrainConfig(p=p, train_frac=0.8, corrupt=0.9, corrupt_mode="uniform", seed=seed))
        hits.append(np.mean(s.y_train[s.is_fact] == s.y_train_true[s.is_fact]))
    mean, se = np.mean(hits), np.std(hits) / np.sqrt(len(hits))
    assert abs(mean - 1 / p) < 4 * se + 0.01


def test_split_is_deterministic_in_the_data_seed():
    cfg = TrainConfig(p=13, corrupt=0.2, seed=5)
    a, b = make_split(cfg), make_split(cfg)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_train, b.y_train)
    c = make_split(cfg.replace(seed=6))
    assert not np.array_equal(a.x_train, c.x_train)
    # data_seed decouples the split from the init seed
    d = make_split(cfg.replace(seed=6, data_seed=5))
    assert np.array_equal(a.x_train, d.x_train) and np.array_equal(a.y_train, d.y_train)
