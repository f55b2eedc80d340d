"""``train_flops`` and ``eval_flops`` against counts of the products the models run: torch's FLOP
counter on the autograd path, and a count by hand from the shapes."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from rulesfacts.config.train import TrainConfig
from rulesfacts.models import build_model
from rulesfacts.tasks import make_split
from rulesfacts.training.losses import member_loss


def _model(cfgs):
    split = make_split(cfgs[0])
    model = build_model(cfgs, split, torch.device("cpu"))
    stack = lambda name: torch.stack([torch.from_numpy(getattr(make_split(c), name)) for c in cfgs])  # noqa: E731
    return model, stack("x_train"), stack("y_train"), stack("x_test")


def _counted(fn):
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def test_mlp_train_flops_by_hand():
    """p = 7, N = 8, M = 3: per example the output layer's three products of (1×N)·(N×C) — forward,
    ∂W_out, ∂h — are 3·N·C multiply-adds, the gather of two rows N adds and its scatter 2N."""
    cfgs = [TrainConfig(p=7, width=8, seed=s) for s in range(3)]
    model, x, _, x_test = _model(cfgs)
    n, n_test, width, classes = x.shape[1], x_test.shape[1], 8, 7
    mult_adds = 3 * n * width * classes
    adds = n * width + 2 * n * width
    assert model.train_flops(n) == 3 * (2 * mult_adds + adds)
    assert model.eval_flops(n_test) == 3 * (2 * n_test * width * classes + n_test * width)


@pytest.mark.parametrize("cfg", [TrainConfig(p=7, width=8), TrainConfig(task="parity", width=8)],
                         ids=["tokens", "features"])
def test_mlp_flops_match_torch_flop_counter(cfg):
    """The counter sees the products (bmm); the token gather (an embedding: N adds per example
    and member, 2N for its scatter) it does not count."""
    cfgs = [cfg.replace(seed=s) for s in range(2)]
    model, x, y, x_test = _model(cfgs)
    m, n, n_test, width = len(cfgs), x.shape[1], x_test.shape[1], cfg.width
    gather = m * n * 3 * width if model.tokens else 0  # forward and scatter
    train = _counted(lambda: member_loss(model(x), y, cfg.loss).sum().backward())
    assert model.train_flops(n) == train + gather
    # the autograd forward (under no_grad the hand-written path pads the classes to a multiple of 8)
    evaluate = _counted(lambda: model(x_test))
    assert model.eval_flops(n_test) == evaluate + (m * n_test * width if model.tokens else 0)


def test_transformer_flops_match_torch_flop_counter():
    cfgs = [TrainConfig(model="transformer", p=7, d_model=16, n_heads=4, seed=s) for s in range(2)]
    model, x, y, x_test = _model(cfgs)
    n = x.shape[1]
    with torch.no_grad():
        assert model.eval_flops(n) == _counted(lambda: model(x))
    assert model.train_flops(n) == _counted(lambda: member_loss(model(x), y, cfgs[0].loss).sum().backward())
