"""Exact memorization (evaluated, not assumed) for every construction, against independent slow
re-implementations and closed forms."""

import numpy as np
import pytest
import torch

from rulesfacts.memorize.common import MemorizationError, accuracy
from rulesfacts.memorize.experiments import build, run_method
from rulesfacts.memorize.park import ParkNetwork
from rulesfacts.memorize.vardi import VardiNetwork
from rulesfacts.memorize.yu import YuNetwork
from rulesfacts.tasks.images import load_dataset, make_pair
from tests.memorize.helpers import near_duplicates
from tests.tolerance import U_FLOAT64, gamma

PAIRS = [(1, 7), (3, 8), (4, 9)]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.mark.parametrize("method", ["m1", "m2", "m3", "mlp"])
@pytest.mark.parametrize("pair", PAIRS)
def test_every_method_memorizes_digits_pairs(digits, method, pair):
    res = run_method(make_pair(digits, *pair), method)
    assert res["train_acc"] == 1.0
    assert res["params"] > 0 and res["depth"] >= 2


@pytest.mark.parametrize("cls", [YuNetwork, ParkNetwork, VardiNetwork])
@pytest.mark.parametrize("eps", [1e-3, 1e-6])
def test_near_duplicates_with_opposite_labels(cls, eps):
    x, y = near_duplicates(eps=eps)
    net = cls(x, y)
    assert accuracy(net, x, y) == 1.0


@pytest.mark.parametrize("cls", [YuNetwork, ParkNetwork, VardiNetwork])
def test_identical_inputs_with_opposite_labels_are_refused(cls):
    x, y = near_duplicates(eps=0.0)
    with pytest.raises(MemorizationError, match="identical|opposite"):
        cls(x, y)


def slow_yu(x_train, y_train, x, e_in=0.0):
    """Theorem 7.3 (references.md §3) written out as loops over training points, in numpy.

    Also returns a bound on the float64 rounding of any evaluation of the formula (this one, or
    the network's w·x + b layers), inputs off by up to ``e_in`` per coordinate: S_ij is a length-d
    dot product of (x_i − x_j) and (x − m_ij), within γ_{d+4}·Σ|terms| (+ 2e_in·Σ(|x − m| + |x_i − x_j|));
    a region's sum over the other class adds γ_n; a region whose clamp r − Σ is negative by more
    than the error is exactly 0 either way."""
    pos, neg = x_train[y_train == 1], x_train[y_train == -1]
    d, n = x_train.shape[1], len(x_train)
    g = gamma(d + 4, U_FLOAT64)
    dist = min(np.sum((a - b) ** 2) for a in pos for b in neg)
    r = 0.01 * dist
    e_r = g * r + 0.04 * e_in * d * np.abs(x_train).max()
    out, bound = np.zeros(len(x)), np.zeros(len(x))
    for label, own, other in ((1, pos, neg), (-1, neg, pos)):
        for xi in own:
            diff, dx = xi - other, x[:, None, :] - (0.51 * xi + 0.49 * other)[None]
            s = (diff[None] * dx).sum(-1)
            e_s = (g * (np.abs(diff)[None] * (np.abs(x[:, None, :]) + np.abs(0.51 * xi + 0.49 * other)[None])).sum(-1)
                   + 2 * e_in * (np.abs(dx) + np.abs(diff)[None]).sum(-1))
            inner = np.maximum(-s, 0).sum(1)
            e_inner = e_s.sum(1) + gamma(n, U_FLOAT64) * inner
            region = np.maximum(r - inner, 0)
            out += label * region
            bound += np.where(inner - e_inner > r + e_r, 0.0, e_inner + e_r + U_FLOAT64 * np.abs(r - inner))
            bound += gamma(n, U_FLOAT64) * region  # the output layer's sum over regions
    return out, bound


def test_yu_network_equals_the_formula(digits):
    t = make_pair(digits, 2, 3, train_per_class=40)
    net = YuNetwork(t.x_train, t.y_train)
    x = np.concatenate([t.x_train, t.x_test[:50]])
    expected, bound = slow_yu(t.x_train, t.y_train, x)
    assert np.all(np.abs(net.score(x) - expected) <= 2 * bound)
    # F(x_i) = y_i · r · (number of same-label regions holding x_i) ≥ r in size
    assert np.all(net.score(t.x_train) * t.y_train >= net.r * (1 - 1e-9))


def test_yu_parameter_count_is_the_dense_network():
    """Build the dense 3-layer network explicitly and count its nonzero weights and biases."""
    rng = np.random.default_rng(1)
    x, y = rng.random((9, 4)), np.array([1, 1, 1, 1, -1, -1, -1, -1, -1])
    net = YuNetwork(x, y)
    rows, biases, owner = [], [], []
    for i in range(9):
        for j in range(9):
            if y[i] != y[j]:
                rows.append(x[j] - x[i])  # −S_ij(x) = (x_j − x_i)·x + (x_i − x_j)·m_ij
                biases.append((x[i] - x[j]) @ (0.51 * x[i] + 0.49 * x[j]))
                owner.append(i)
    w1 = torch.tensor(np.array(rows))
    b1 = torch.tensor(np.array(biases))
    w2 = torch.zeros(9, len(rows), dtype=torch.float64)
    w2[owner, range(len(rows))] = -1.0
    b2 = torch.full((9,), net.r, dtype=torch.float64)
    w3 = torch.tensor(y, dtype=torch.float64)
    xt = torch.tensor(rng.random((30, 4)))
    dense = torch.relu(torch.relu(xt @ w1.T + b1) @ w2.T + b2) @ w3
    assert np.allclose(net.score(xt.numpy()), dense.numpy(), atol=1e-12)
    nonzero = sum(int(torch.count_nonzero(t)) for t in (w1, b1, w2, b2, w3))
    assert net.info.params == nonzero
    assert net.info.depth == 3


def test_yu_bottleneck_is_the_construction_on_projected_points():
    rng = np.random.default_rng(2)
    x, y = rng.random((30, 12)), np.where(rng.random(30) < 0.5, 1, -1)
    net = YuNetwork(x, y, bottleneck=3, seed=4)
    p = net.proj.weight.numpy()
    xt = rng.random((20, 12))
    # the projections are float64 products of length 12, here and inside the network: γ_12·|x||p|
    e_in = gamma(12, U_FLOAT64) * (np.abs(np.concatenate([x, xt])) @ np.abs(p).T).max()
    expected, bound = slow_yu(x @ p.T, y, xt @ p.T, e_in)
    assert np.all(np.abs(net.score(xt) - expected) <= 2 * bound)
    assert net.info.width == 3 and accuracy(net, x, y) == 1.0


def test_park_network_is_nearest_label_on_the_line(digits):
    """Between training points the step sits mid-gap: the label of the nearest projection."""
    t = make_pair(digits, 5, 6)
    net = ParkNetwork(t.x_train, t.y_train, seed=3)
    u = net.proj.weight.numpy().ravel()
    tr, te = t.x_train @ u, t.x_test @ u
    nearest = t.y_train[np.abs(te[:, None] - tr[None]).argmin(1)]
    assert np.array_equal(net.predict(t.x_test), nearest)
    assert net.info.width == 1


def test_vardi_network_outputs_exactly_plus_minus_one_and_stores_sqrt_n_words(digits):
    t = make_pair(digits, 0, 8)
    net = VardiNetwork(t.x_train, t.y_train)
    assert np.array_equal(net.score(t.x_train), t.y_train.astype(float))  # bit extraction without rounding
    n = len(np.unique(t.x_train @ net.proj.weight.numpy().ravel()))
    assert net.bits == int(np.ceil(np.sqrt(n))) and net.n_blocks == int(np.ceil(n / net.bits))
    assert net.info.depth == 3 * net.bits + 7 and net.info.width == 1


def test_vardi_words_decode_to_the_labels_in_projection_order():
    """Read the block words back out of the state layer and compare with the sorted labels."""
    rng = np.random.default_rng(5)
    x, y = rng.random((50, 6)), np.where(rng.random(50) < 0.5, 1, -1)
    net = VardiNetwork(x, y, bits=8)
    t = x @ net.proj.weight.numpy().ravel()
    labels = (y[np.argsort(t)] > 0).astype(int)
    w = net.state.weight.numpy()[0, 1:]
    v0 = net.state.bias.numpy()[0] + w.sum()  # all block indicators 0 … then switch them on one by one
    words = [v0] + [v0 - w[: b + 1].sum() for b in range(len(w))]
    decoded = [int(round(v * 2 ** 8)) >> (7 - k) & 1 for v in words for k in range(8)]
    assert decoded[: len(labels)] == labels.tolist()


def test_trained_mlp_has_the_requested_budget(digits):
    t = make_pair(digits, 0, 1)
    net = build("mlp", t.x_train, t.y_train, mlp_params=700)
    assert abs(net.info.params - 700) <= t.dim + 2
    assert accuracy(net, t.x_train, t.y_train) == 1.0


def test_trained_mlp_restarts_until_it_fits_and_leaves_the_global_rng_alone():
    from rulesfacts.memorize.trained import MLPConfig, TrainedMLP

    x, y = near_duplicates(n=30, d=5, eps=0.3, seed=1)
    before = torch.random.get_rng_state()
    net = TrainedMLP(x, y, MLPConfig(width=2, max_epochs=5, restarts=2))
    assert torch.equal(before, torch.random.get_rng_state())
    assert net.attempts == 3 and not net.converged  # 5 epochs cannot fit 60 points: every restart is used
    fit = TrainedMLP(x, y, MLPConfig(width=64, max_epochs=3000))
    assert fit.converged and accuracy(fit, x, y) == 1.0
