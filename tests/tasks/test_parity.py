"""Sparse parity against a slow bit-counting re-implementation."""

import numpy as np
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.tasks import make_split
from rulesfacts.tasks.parity import parity_split, parity_subset


def slow_parity(bits: np.ndarray, subset: np.ndarray) -> int:
    """1 when an odd number of the subset's bits are −1."""
    return sum(1 for i in subset if bits[i] < 0) % 2


def test_labels_are_the_parity_of_the_hidden_subset():
    s = parity_split(12, 3, 200, 100, 0.0, seed=5)
    subset = parity_subset(12, 3, 5)
    for x, y in zip(np.concatenate([s.x_train, s.x_test]), np.concatenate([s.y_train, s.y_test]), strict=True):
        assert y == slow_parity(x, subset)


def test_shapes_dtypes_and_values():
    s = make_split(TrainConfig(task="parity", n_bits=20, k=3, train_size=300, test_size=150, fact_frac=0.2, seed=1))
    assert s.x_train.shape == (300, 20) and s.x_test.shape == (150, 20)
    assert s.x_train.dtype == np.float32 and set(np.unique(s.x_train)) == {-1.0, 1.0}
    assert s.n_classes == 2 and s.vocab == 0
    # both classes are (roughly) balanced: the parity of 3 fair bits is a fair coin
    assert 0.4 < s.y_test.mean() < 0.6


def test_facts_are_flipped_labels_on_the_first_examples():
    s = parity_split(16, 4, 400, 50, 0.3, seed=2)
    n_facts = int(0.3 * 400)
    assert s.is_fact.sum() == n_facts and s.is_fact[:n_facts].all()
    np.testing.assert_array_equal(s.y_train[:n_facts], 1 - s.y_train_true[:n_facts])
    np.testing.assert_array_equal(s.y_train[n_facts:], s.y_train_true[n_facts:])


def test_subset_depends_on_the_seed_only():
    a = parity_subset(30, 3, 7)
    assert len(set(a.tolist())) == 3 and a.min() >= 0 and a.max() < 30
    np.testing.assert_array_equal(a, parity_subset(30, 3, 7))
    assert any(not np.array_equal(a, parity_subset(30, 3, s)) for s in range(8, 12))
    # the split with the same seed uses the same subset, whatever the set sizes
    s = parity_split(30, 3, 50, 500, 0.0, seed=7)
    assert all(y == slow_parity(x, a) for x, y in zip(s.x_test, s.y_test, strict=True))


def test_data_seed_overrides_seed():
    s1 = make_split(TrainConfig(task="parity", n_bits=10, k=2, train_size=40, test_size=10, seed=0, data_seed=3))
    s2 = make_split(TrainConfig(task="parity", n_bits=10, k=2, train_size=40, test_size=10, seed=9, data_seed=3))
    np.testing.assert_array_equal(s1.x_train, s2.x_train)


def test_bad_parity_config_is_rejected():
    with pytest.raises(ConfigError, match="k"):
        TrainConfig(task="parity", n_bits=5, k=6)
    with pytest.raises(ConfigError, match="model"):
        TrainConfig(task="parity", model="transformer")
