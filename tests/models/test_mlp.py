"""The ensemble MLP against the plain one-hot formulation of the paper."""

import numpy as np
import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.models import build_model, handwritten
from rulesfacts.tasks import make_split
from tests.model_helpers import bounded_logits
from tests.tolerance import assert_within


def _model(cfgs):
    split = make_split(cfgs[0])
    return build_model(cfgs, split, torch.device("cpu")), split


def test_shapes_and_paper_layout():
    cfgs = [TrainConfig(p=11, width=20, seed=s) for s in range(3)]
    model, split = _model(cfgs)
    x = torch.from_numpy(split.x_train).expand(3, -1, -1)
    assert model(x).shape == (3, split.n_train, 11)
    w = model.member_weights(1)
    assert w["W_in"].shape == (20, 22) and w["W_out"].shape == (11, 20)


def test_gathered_first_layer_equals_one_hot_matmul():
    """x = one-hot(a) ⊕ one-hot(b), out = W_out (W_in x)²: the paper's fcn, computed densely."""
    cfg = TrainConfig(p=13, width=16, seed=4)
    model, split = _model([cfg])
    w = model.member_weights(0)
    onehot = np.zeros((split.n_train, 26), dtype=np.float32)
    onehot[np.arange(split.n_train), split.x_train[:, 0]] = 1
    onehot[np.arange(split.n_train), split.x_train[:, 1]] = 1
    expected = ((onehot @ w["W_in"].T) ** 2) @ w["W_out"].T
    got = model(torch.from_numpy(split.x_train)[None]).detach().numpy()[0]
    # the one-hot product adds exact zeros, so both first layers round once (w_a + w_b); the
    # second layer sums N float32 products in some order: each result within γ_N·Σ|terms| of exact
    exact = bounded_logits(w["W_in"], w["W_out"], split.x_train)
    assert_within(got, expected, 2 * exact.e, "gathered vs one-hot")
    assert_within(got, exact.x, exact.e, "gathered vs exact")


def test_paper_init_scale():
    """σ = 0.5 / (2N)^(1/3) (= 0.05 at N = 500), from the member's own seed."""
    cfg = TrainConfig(p=97, width=500, seed=0)
    model, _ = _model([cfg])
    w = model.member_weights(0)
    assert abs(w["W_in"].std() - 0.05) < 0.002 and abs(w["W_out"].std() - 0.05) < 0.002
    other, _ = _model([cfg.replace(seed=9), cfg])
    np.testing.assert_array_equal(other.member_weights(1)["W_in"], w["W_in"])


def test_load_member_weights_round_trip():
    cfgs = [TrainConfig(p=7, width=5, seed=s, batchnorm=True, bias=True) for s in range(2)]
    model, _ = _model(cfgs)
    w0 = model.member_weights(0)
    model.load_member_weights(1, w0)
    for k, v in model.member_weights(1).items():
        np.testing.assert_array_equal(v, w0[k])


def test_blocks_cover_every_row_once_within_their_size():
    for m, n, width, elems in [(64, 264, 64, 2**19), (1, 4704, 500, 2**19), (3, 100, 24, 700), (5, 7, 3, 2**30)]:
        seen = torch.zeros(m, n, dtype=torch.int64)
        for ms, rs in handwritten.blocks(m, n, width, elems):
            seen[ms, rs] += 1
            members, rows = len(range(m)[ms]), len(range(n)[rs])
            assert members * rows * width <= max(elems + width, n * width)  # one member's row may round up
        assert bool((seen == 1).all())
