"""The corrupted modular-arithmetic task against oracles that share nothing with its code: Z_5
tables written by hand, labels by counting on a clock, and the laws of the field Z_p."""

import numpy as np
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.tasks import make_split
from rulesfacts.tasks.modular import all_pairs


def count_add(a: int, b: int, p: int) -> int:
    """a + b on a clock of p hours, by counting b steps forward from a (no % anywhere)."""
    c = a
    for _ in range(b):
        c = 0 if c == p - 1 else c + 1
    return c


def count_mul(a: int, b: int, p: int) -> int:
    """a · b as a times b added to 0 on the clock."""
    c = 0
    for _ in range(a):
        c = count_add(c, b, p)
    return c


def slow_label(a: int, b: int, p: int, op: str) -> int:
    """Each label from its definition: the sum and product by counting; a − b the c with
    c + b = a; a / b the c with c · b = a (unique in a field)."""
    if op == "add":
        return count_add(a, b, p)
    if op == "mul":
        return count_mul(a, b, p)
    inverse_of = count_add if op == "sub" else count_mul
    (c,) = [c for c in range(p) if inverse_of(c, b, p) == a]
    return c


# Z_5 by hand: rows a = 0..4, columns b = 0..4 (b = 1..4 for division)
TABLES_P5 = {
    "add": [[0, 1, 2, 3, 4], [1, 2, 3, 4, 0], [2, 3, 4, 0, 1], [3, 4, 0, 1, 2], [4, 0, 1, 2, 3]],
    "sub": [[0, 4, 3, 2, 1], [1, 0, 4, 3, 2], [2, 1, 0, 4, 3], [3, 2, 1, 0, 4], [4, 3, 2, 1, 0]],
    "mul": [[0, 0, 0, 0, 0], [0, 1, 2, 3, 4], [0, 2, 4, 1, 3], [0, 3, 1, 4, 2], [0, 4, 3, 2, 1]],
    "div": [[0, 0, 0, 0], [1, 3, 2, 4], [2, 1, 4, 3], [3, 4, 1, 2], [4, 2, 3, 1]],
}


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_p5_tables_by_hand(op):
    pairs, y = all_pairs(5, op)
    expected = TABLES_P5[op]
    assert y.reshape(5, -1).tolist() == expected
    assert pairs.tolist() == [[a, b] for a in range(5) for b in range(1 if op == "div" else 0, 5)]


@pytest.mark.parametrize("p", [2, 3, 11, 13])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_labels_follow_the_rule(op, p):
    pairs, y = all_pairs(p, op)
    assert len(y) == (p * (p - 1) if op == "div" else p * p)
    for (a, b), label in zip(pairs, y, strict=True):
        assert label == slow_label(int(a), int(b), p, op)


@pytest.mark.parametrize("p", [5, 11, 23])
def test_algebraic_laws(p):
    """The field Z_p: the tables as functions, checked only through the laws they must obey."""
    table = {op: dict(zip(map(tuple, all_pairs(p, op)[0].tolist()), all_pairs(p, op)[1].tolist(), strict=True))
             for op in ("add", "sub", "mul", "div")}
    add, sub, mul, div = (lambda a, b, op=op: table[op][(a, b)] for op in ("add", "sub", "mul", "div"))
    z = range(p)
    for a in z:
        assert add(a, 0) == a and mul(a, 1) == a and mul(a, 0) == 0 and sub(a, a) == 0
        # every row of + is a permutation (a Latin square), as is every nonzero row of ·
        assert sorted(add(a, b) for b in z) == list(z)
        if a:
            assert sorted(mul(a, b) for b in z if b) == list(range(1, p))
        for b in z:
            assert add(a, b) == add(b, a) and mul(a, b) == mul(b, a)
            assert add(sub(a, b), b) == a  # subtraction undoes addition
            if b:
                assert mul(b, div(a, b)) == a  # b · (a / b) ≡ a
                assert div(mul(a, b), b) == a
            for c in (0, 1, p - 1, (a * 7 + b) % p):  # a few c per pair keep this O(p²)
                assert add(add(a, b), c) == add(a, add(b, c))
                assert mul(mul(a, b), c) == mul(a, mul(b, c))
                assert mul(a, add(b, c)) == add(mul(a, b), mul(a, c))
    # the multiplicative group is cyclic of order p − 1: some g has p − 1 distinct powers
    def powers(g):
        out, x = [], 1
        for _ in range(p - 1):
            x = mul(x, g)
            out.append(x)
        return out
    assert any(sorted(powers(g)) == list(range(1, p)) for g in range(1, p))
    # and Fermat: g^(p−1) = 1 for every nonzero g
    assert all(powers(g)[-1] == 1 for g in range(1, p))


@pytest.mark.parametrize("op", ["add", "div"])
def test_counts_and_subsets(op):
    cfg = TrainConfig(p=23, op=op, train_frac=0.4, fact_frac=0.3, seed=3)
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
    s = make_split(TrainConfig(p=7, train_frac=0.8, fact_frac=0.9, seed=1))
    assert s.is_fact.sum() > 20
    assert np.all(s.y_train[s.is_fact] != s.y_train_true[s.is_fact])


def test_uniform_mode_keeps_about_one_in_p_correct():
    """The paper's variant draws facts uniformly over all p labels: P(correct) = 1/p."""
    p = 5
    hits = []
    for seed in range(40):
        s = make_split(TrainConfig(p=p, train_frac=0.8, fact_frac=0.9, fact_mode="uniform", seed=seed))
        hits.append(np.mean(s.y_train[s.is_fact] == s.y_train_true[s.is_fact]))
    mean, se = np.mean(hits), np.std(hits) / np.sqrt(len(hits))
    assert abs(mean - 1 / p) < 4 * se + 0.01


def test_split_is_deterministic_in_the_data_seed():
    cfg = TrainConfig(p=13, fact_frac=0.2, seed=5)
    a, b = make_split(cfg), make_split(cfg)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_train, b.y_train)
    c = make_split(cfg.replace(seed=6))
    assert not np.array_equal(a.x_train, c.x_train)
    # data_seed decouples the split from the init seed
    d = make_split(cfg.replace(seed=6, data_seed=5))
    assert np.array_equal(a.x_train, d.x_train) and np.array_equal(a.y_train, d.y_train)
